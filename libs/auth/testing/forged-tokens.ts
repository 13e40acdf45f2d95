import { LocalIssuer, type MintClaims, type MintOptions } from '@tenantry/dev-issuer';
import { createHmac, createPublicKey, type webcrypto } from 'node:crypto';

// Tokens an attacker could make for `issuer`'s realm: token verification must refuse every one.

const b64url = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

function standardClaims(issuer: LocalIssuer, claims: Record<string, unknown>): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { iss: issuer.issuer, sub: 'forger', aud: 'account', iat: now, exp: now + 300, azp: 'tenantry-app', ...claims };
}

/** `alg: none`, no signature. */
export function forgeAlgNone(issuer: LocalIssuer, claims: Record<string, unknown>): string {
  return `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(standardClaims(issuer, claims))}.`;
}

/** HS256 keyed with the issuer's public key (the classic key-confusion attack). */
export function forgeHs256WithPublicKey(issuer: LocalIssuer, claims: Record<string, unknown>): string {
  const [key] = issuer.publicKeys;
  const pem = createPublicKey({ key: key as webcrypto.JsonWebKey, format: 'jwk' })
    .export({ type: 'spki', format: 'pem' })
    .toString();
  const signingInput = `${b64url({ alg: 'HS256', typ: 'JWT', kid: key.kid })}.${b64url(standardClaims(issuer, claims))}`;
  return `${signingInput}.${createHmac('sha256', pem).update(signingInput).digest('base64url')}`;
}

/** A token of the realm's exact shape, signed by a key the realm does not publish. */
export async function mintWithUnpublishedKey(issuer: LocalIssuer, claims: MintClaims, options?: MintOptions): Promise<string> {
  return (await LocalIssuer.load({ issuer: issuer.issuer })).mint(claims, options);
}

/** Edits payload claims of a signed token and keeps the original signature. */
export function tamper(token: string, patch: Record<string, unknown>): string {
  const [header, payload, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  return `${header}.${b64url({ ...claims, ...patch })}.${signature}`;
}
