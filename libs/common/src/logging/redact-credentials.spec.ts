import { isCredentialName, REDACTED, redactFields, redactRequest, redactResponse, redactUrl } from './redact-credentials';

const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJl';

describe('redacting credentials from request logs', () => {
  it.each([
    'authorization',
    'proxy-authorization',
    'cookie',
    'set-cookie',
    'x-api-key',
    'api-key',
    'apikey',
    'x-auth-token',
    'x-access-token',
    'x-amz-security-token',
    'x-session-id',
    'access_token',
    'id_token',
    'refresh_token',
    'token',
    'code',
    'client_secret',
    'password',
    'X-Hub-Signature',
  ])('%s is a credential', (name) => {
    expect(isCredentialName(name)).toBe(true);
  });

  it.each(['accept', 'content-type', 'x-request-id', 'user-agent', 'page', 'pageSize', 'status', 'tenant_id', 'keep-alive', 'host'])('%s is not', (name) => {
    expect(isCredentialName(name)).toBe(false);
  });

  it('replaces credential query parameters and JWT-looking values anywhere in a URL, keeping the rest as sent', () => {
    expect(redactUrl(`/orders?page=2&access_token=${jwt}&status=paid`)).toBe(`/orders?page=2&access_token=${REDACTED}&status=paid`);
    expect(redactUrl('/cb?code=abc123&state=xyz&id%5Ftoken=opaque')).toBe(`/cb?code=${REDACTED}&state=xyz&id%5Ftoken=${REDACTED}`);
    expect(redactUrl(`/orders?q=${jwt}`)).toBe(`/orders?q=${REDACTED}`);
    expect(redactUrl(`/tenants/${jwt}/orders`)).toBe(`/tenants/${REDACTED}/orders`);
    expect(redactUrl('/orders?page=1&flag')).toBe('/orders?page=1&flag');
    expect(redactUrl('/health')).toBe('/health');
  });

  it('copies headers, queries and params with credential fields and JWT-looking values replaced', () => {
    const headers = {
      authorization: `Bearer ${jwt}`,
      'x-api-key': 'k-123',
      'x-forwarded-whatever': `Bearer ${jwt}`,
      accept: 'application/json',
      cookie: 'sid=1',
    };
    expect(redactFields(headers)).toEqual({
      authorization: REDACTED,
      'x-api-key': REDACTED,
      'x-forwarded-whatever': `Bearer ${REDACTED}`,
      accept: 'application/json',
      cookie: REDACTED,
    });
    expect(headers.authorization).toBe(`Bearer ${jwt}`);
    expect(redactFields({ filter: { token: 'x', page: '1' }, list: [jwt, 'ok'] })).toEqual({ filter: { token: REDACTED, page: '1' }, list: [REDACTED, 'ok'] });
  });

  it('leaves the request it serializes untouched: the guard still reads the token', () => {
    const raw = { headers: { authorization: `Bearer ${jwt}` } };
    const serialized = { id: 'r1', method: 'GET', url: `/orders?token=${jwt}`, headers: raw.headers, query: { token: jwt }, params: {} };
    const logged = redactRequest(serialized);
    expect(logged).toMatchObject({ id: 'r1', method: 'GET', url: `/orders?token=${REDACTED}`, headers: { authorization: REDACTED }, query: { token: REDACTED } });
    expect(raw.headers.authorization).toBe(`Bearer ${jwt}`);
    expect(serialized.url).toBe(`/orders?token=${jwt}`);
    expect(redactResponse({ statusCode: 200, headers: { 'set-cookie': 'sid=1', 'content-type': 'json' } })).toEqual({
      statusCode: 200,
      headers: { 'set-cookie': REDACTED, 'content-type': 'json' },
    });
  });
});
