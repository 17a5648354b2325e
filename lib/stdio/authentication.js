"use strict";
// `AuthenticationMiddleware`: mcp-proxy 6.7.19's API-key check and 401/403 challenge builder,
// exported for applications that guard their own HTTP routes the way mcp-proxy does. Ported
// from mcp-proxy 6.7.19 src/authentication.ts (MIT, (c) Frank Fiegel / punkpeye), same output
// byte for byte (its 42 tests run against this in __test__/mcp-proxy-67/). startHTTPServer's own
// checks are native (src/, crates/core) and follow CONTRACT §5; this class is not on that path.
const { timingSafeEqual } = require("node:crypto");

/**
 * RFC 9728 §3.1: the well-known segment goes between the host and the resource's path. A
 * resource that is not a URL falls back to plain concatenation rather than throwing while a
 * 401 is being built.
 */
function getProtectedResourceMetadataUrl(resource) {
  let url;
  try {
    url = new URL(resource);
  } catch {
    return `${resource}/.well-known/oauth-protected-resource`;
  }
  const resourcePath = url.pathname === "/" ? "" : url.pathname;
  url.pathname = `/.well-known/oauth-protected-resource${resourcePath}`;
  return url.toString();
}

const escapeQuotes = (text) => text.replace(/"/g, '\\"');

const DEFAULT_UNAUTHORIZED = "Unauthorized: Invalid or missing API key";

class AuthenticationMiddleware {
  constructor(config = {}) {
    this.config = config;
  }

  getScopeChallengeResponse(requiredScopes, errorDescription, requestId) {
    const headers = { "Content-Type": "application/json" };
    const resource = this.config.oauth?.protectedResource?.resource;
    if (resource) {
      const parts = [
        "Bearer",
        'error="insufficient_scope"',
        `scope="${requiredScopes.join(" ")}"`,
        `resource_metadata="${getProtectedResourceMetadataUrl(resource)}"`,
      ];
      if (errorDescription) parts.push(`error_description="${escapeQuotes(errorDescription)}"`);
      // ", " after "Bearer" too: 6.7.19's quirk, kept so the header is byte-identical.
      headers["WWW-Authenticate"] = parts.join(", ");
    }
    return {
      body: JSON.stringify({
        error: {
          code: -32001,
          data: { error: "insufficient_scope", required_scopes: requiredScopes },
          message: errorDescription || "Insufficient scope",
        },
        id: requestId ?? null,
        jsonrpc: "2.0",
      }),
      headers,
      statusCode: 403,
    };
  }

  getUnauthorizedResponse(options) {
    const oauth = this.config.oauth;
    // RFC 7235: every 401 carries a challenge; the oauth config only adds parameters.
    const params = [];
    if (oauth?.realm) params.push(`realm="${oauth.realm}"`);
    if (oauth?.protectedResource?.resource) {
      params.push(`resource_metadata="${getProtectedResourceMetadataUrl(oauth.protectedResource.resource)}"`);
    }
    params.push(`error="${options?.error || oauth?.error || "invalid_token"}"`);
    const description = options?.error_description || oauth?.error_description || DEFAULT_UNAUTHORIZED;
    params.push(`error_description="${escapeQuotes(description)}"`);
    const errorUri = options?.error_uri || oauth?.error_uri;
    if (errorUri) params.push(`error_uri="${errorUri}"`);
    const scope = options?.scope || oauth?.scope;
    if (scope) params.push(`scope="${scope}"`);
    return {
      body: JSON.stringify({
        error: { code: 401, message: options?.error_description || DEFAULT_UNAUTHORIZED },
        id: null,
        jsonrpc: "2.0",
      }),
      headers: { "Content-Type": "application/json", "WWW-Authenticate": `Bearer ${params.join(", ")}` },
    };
  }

  validateRequest(req) {
    if (!this.config.apiKey) return true;
    const apiKey = req.headers["x-api-key"];
    if (!apiKey || typeof apiKey !== "string") return false;
    const expected = Buffer.from(this.config.apiKey);
    const actual = Buffer.from(apiKey);
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }
}

module.exports = { AuthenticationMiddleware, getProtectedResourceMetadataUrl };
