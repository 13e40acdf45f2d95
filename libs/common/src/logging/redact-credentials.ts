export const REDACTED = '[REDACTED]';

// Name parts (split on - _ . and case) that make a header, query parameter or field a credential.
const CREDENTIAL_PARTS = new Set([
  'authorization',
  'authentication',
  'auth',
  'cookie',
  'token',
  'secret',
  'password',
  'passwd',
  'apikey',
  'key',
  'session',
  'sessionid',
  'signature',
  'sig',
  'credential',
  'credentials',
  'jwt',
  'assertion',
  'code',
]);

// Three (JWS) or five (JWE) base64url parts whose first decodes to a JSON object: `{"` is `eyJ`.
const JWT_LIKE = /eyJ[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*){2,4}/g;

/** Whether a header, query parameter or field of this name carries a credential (x-api-key, access_token, set-cookie, ...). */
export function isCredentialName(name: string): boolean {
  const parts = name.toLowerCase().split(/[-_.\s]+/);
  return parts.some((part) => CREDENTIAL_PARTS.has(part)) || /api-?key|access-?token|set-?cookie/i.test(name);
}

/** A string with every JWT-looking value in it replaced. */
export function redactTokens(value: string): string {
  return value.replace(JWT_LIKE, REDACTED);
}

/** A path with a query string: credential parameters' values and JWT-looking values anywhere replaced; the rest kept as sent. */
export function redactUrl(url: string): string {
  const at = url.indexOf('?');
  if (at < 0) return redactTokens(url);
  const query = url
    .slice(at + 1)
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      if (equals < 0) return pair;
      return isCredentialName(safeDecode(pair.slice(0, equals))) ? `${pair.slice(0, equals)}=${REDACTED}` : pair;
    })
    .join('&');
  return redactTokens(`${url.slice(0, at)}?${query}`);
}

/** A copy of headers, a parsed query or path parameters, with credentials replaced; the original is left alone. */
export function redactFields(fields: unknown, depth = 0): unknown {
  if (typeof fields === 'string') return redactTokens(fields);
  if (Array.isArray(fields)) return fields.map((item) => redactFields(item, depth + 1));
  if (fields === null || typeof fields !== 'object') return fields;
  // Parsed query strings nest; a log line need not follow them forever.
  if (depth > 5) return REDACTED;
  return Object.fromEntries(Object.entries(fields).map(([name, value]) => [name, isCredentialName(name) ? REDACTED : redactFields(value, depth + 1)]));
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

interface SerializedRequest {
  url?: string;
  headers?: unknown;
  query?: unknown;
  params?: unknown;
}

/** pino-http's serialized request with its credentials replaced (a copy: the request itself still carries them). */
export function redactRequest<T extends SerializedRequest>(request: T): T {
  const copy = Object.assign(Object.create(Object.getPrototypeOf(request) as object) as T, request);
  if (typeof request.url === 'string') copy.url = redactUrl(request.url);
  for (const field of ['headers', 'query', 'params'] as const) {
    if (request[field] !== undefined) copy[field] = redactFields(request[field]);
  }
  return copy;
}

/** pino-http's serialized response with credentials in its headers (set-cookie, ...) replaced. */
export function redactResponse<T extends { headers?: unknown }>(response: T): T {
  if (response.headers === undefined) return response;
  const copy = Object.assign(Object.create(Object.getPrototypeOf(response) as object) as T, response);
  copy.headers = redactFields(response.headers);
  return copy;
}
