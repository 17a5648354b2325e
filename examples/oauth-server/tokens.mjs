// HS256 JSON Web Tokens (RFC 7519) with node:crypto: enough for the example to issue and
// verify its own bearer tokens, with no identity provider.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

const encode = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");

export function createSigningKey() {
  return randomBytes(32);
}

export function signToken(key, claims) {
  const head = `${encode({ alg: "HS256", typ: "JWT" })}.${encode(claims)}`;
  const signature = createHmac("sha256", key).update(head).digest("base64url");
  return `${head}.${signature}`;
}

/** The claims of a valid, unexpired token; `undefined` for anything else. */
export function verifyToken(key, token) {
  const parts = typeof token === "string" ? token.split(".") : [];
  if (parts.length !== 3) return undefined;
  const expected = createHmac("sha256", key).update(`${parts[0]}.${parts[1]}`).digest();
  const given = Buffer.from(parts[2], "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0], "base64url").toString());
    const claims = JSON.parse(Buffer.from(parts[1], "base64url").toString());
    if (header.alg !== "HS256") return undefined;
    if (typeof claims.exp === "number" && claims.exp * 1000 < Date.now()) return undefined;
    return claims;
  } catch {
    return undefined;
  }
}
