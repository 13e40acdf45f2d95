/** What an `Authorization` header holds: no bearer credential, one that is not a JWT, or a token to verify. */
export type BearerCredential = { kind: 'missing' } | { kind: 'malformed' } | { kind: 'token'; token: string };

const JWT = /^[A-Za-z0-9\-_=]+\.[A-Za-z0-9\-_=]*\.[A-Za-z0-9\-_.+/=]*$/;

/** Reads an `Authorization: Bearer <token>` header; a Bearer credential that is not a JWT is malformed, not missing. */
export function bearerCredential(header: string | string[] | undefined): BearerCredential {
  if (typeof header !== 'string') return { kind: 'missing' };
  const match = /^Bearer(?:\s+(.*))?$/i.exec(header.trim());
  if (!match) return { kind: 'missing' };
  const token = match[1]?.trim() ?? '';
  return JWT.test(token) ? { kind: 'token', token } : { kind: 'malformed' };
}
