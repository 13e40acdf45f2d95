/** The token of an `Authorization: Bearer <token>` header; undefined for anything else. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer ([A-Za-z0-9\-_=]+\.[A-Za-z0-9\-_=]*\.[A-Za-z0-9\-_.+/=]*)$/i.exec(header.trim());
  return match?.[1];
}
