"use strict";
// Who a session belongs to (CONTRACT §4.6): a session is bound to the principal that
// created it; another principal's requests are answered as if it did not exist (404).

/** The SDK `AuthInfo` shape: `{ token, clientId, scopes }`. */
function isAuthInfo(value) {
  return (
    value !== null &&
    typeof value === "object" &&
    typeof value.token === "string" &&
    typeof value.clientId === "string" &&
    Array.isArray(value.scopes)
  );
}

function userPart(value) {
  return typeof value === "string" || (typeof value === "number" && Number.isFinite(value)) ? String(value) : null;
}

/**
 * An `AuthInfo`'s client and, when present, its user (`extra.sub`, `extra.userId`): never
 * the token, which changes on refresh while the principal does not. Other shapes bind
 * nothing unless `principalOf` says who they are.
 */
function defaultPrincipal(result) {
  if (!isAuthInfo(result)) return undefined;
  const extra = result.extra !== null && typeof result.extra === "object" ? result.extra : {};
  return JSON.stringify([result.clientId, userPart(extra.sub), userPart(extra.userId)]);
}

/** The principal of an `authenticate` result as a string; undefined binds nothing. Throws what `principalOf` throws. */
function principalFor(principalOf, result) {
  const principal = principalOf ? principalOf(result) : defaultPrincipal(result);
  if (typeof principal === "string") return principal;
  return userPart(principal) ?? undefined;
}

module.exports = { isAuthInfo, principalFor };
