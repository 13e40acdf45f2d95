import { DependencyUnavailable, Unauthenticated } from '@tenantry/common';
import { forgeAlgNone, forgeHs256WithPublicKey, mintWithUnpublishedKey, tamper } from '@tenantry/auth/testing';
import { LocalIssuer } from '@tenantry/dev-issuer';
import type { AuthOptions } from './auth-options';
import { TokenVerifier } from './token-verifier';

describe('TokenVerifier against a Keycloak-shaped issuer', () => {
  let issuer: LocalIssuer;
  let options: AuthOptions;
  let verifier: TokenVerifier;

  beforeAll(async () => {
    issuer = await LocalIssuer.start({ port: 0 });
    options = {
      issuer: issuer.issuer,
      jwksUrl: issuer.jwksUrl,
      audiences: [],
      clients: [],
      algorithms: ['RS256'],
      clockToleranceSeconds: 30,
      jwksCooldownSeconds: 30,
      tenantClaim: 'tenant_id',
      adminRole: 'platform-admin',
    };
    verifier = new TokenVerifier(options);
  });

  afterAll(async () => {
    await issuer?.stop();
  });

  const rejection = async (token: string, v = verifier) => {
    const error = await v.verify(token).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Unauthenticated);
    return (error as Error).message;
  };

  it('verifies a Keycloak token and reads realm roles, client roles, tenant and azp', async () => {
    const token = await issuer.mint({
      sub: 'u1',
      preferred_username: 'alice',
      roles: ['platform-admin'],
      tenantId: 'tenant-1',
      resource_access: { orders: { roles: ['writer'] } },
    });
    await expect(verifier.verify(token)).resolves.toMatchObject({
      subject: 'u1',
      username: 'alice',
      realmRoles: ['platform-admin'],
      clientRoles: { orders: ['writer'] },
      tenantId: 'tenant-1',
      azp: 'tenantry-app',
    });
  });

  it('reads the tenant from the configured claim only', async () => {
    const custom = new TokenVerifier({ ...options, tenantClaim: 'org' });
    const token = await issuer.mint({ tenantId: 'from-tenant-id', org: 'from-org' });
    expect((await custom.verify(token)).tenantId).toBe('from-org');
    expect((await verifier.verify(await issuer.mint({ tenantId: '' }))).tenantId).toBeUndefined();
  });

  it('refuses expired tokens, and tokens not valid yet beyond the skew', async () => {
    expect(await rejection(await issuer.mint({}, { expiresInSeconds: -60 }))).toBe('token expired');
    await expect(verifier.verify(await issuer.mint({}, { expiresInSeconds: -10 }))).resolves.toBeDefined();
    expect(await rejection(await issuer.mint({}, { notBeforeSeconds: 120 }))).toContain('nbf');
  });

  it('refuses another issuer, another key, alg none, HS256 keyed with the public key, edited claims', async () => {
    expect(await rejection(await issuer.mint({}, { issuer: 'http://evil/realms/tenantry' }))).toBe('token issuer is not trusted');
    expect(await rejection(await mintWithUnpublishedKey(issuer, {}))).toContain('key the issuer does not publish');
    expect(await rejection(forgeAlgNone(issuer, { realm_access: { roles: ['platform-admin'] } }))).toMatch(/algorithm|malformed/);
    expect(await rejection(forgeHs256WithPublicKey(issuer, { realm_access: { roles: ['platform-admin'] } }))).toMatch(
      /algorithm|malformed/,
    );
    const token = await issuer.mint({ tenantId: 'tenant-a' });
    expect(await rejection(tamper(token, { tenant_id: 'tenant-b' }))).toBe('token signature does not verify');
    expect(await rejection('not.a.jwt')).toBe('malformed token');
  });

  it('accepts only access tokens: an ID or refresh token of the same realm, or one without typ, is refused', async () => {
    const claims = { sub: 'u1', tenantId: 'tenant-1', roles: ['platform-admin'] };
    await expect(verifier.verify(await issuer.mint(claims))).resolves.toMatchObject({ tenantId: 'tenant-1' });
    expect(await rejection(await issuer.mint(claims, { kind: 'id' }))).toBe('token is not an access token (typ "ID"; expected "Bearer")');
    expect(await rejection(await issuer.mint(claims, { kind: 'refresh' }))).toContain('typ "Refresh"');
    expect(await rejection(await issuer.mint({ ...claims, typ: undefined }))).toContain('typ missing or unknown');
    // The ID token is for the client itself: with the client allowed through azp, it must still be refused.
    const byClient = new TokenVerifier({ ...options, clients: ['tenantry-app'] });
    expect(await rejection(await issuer.mint(claims, { kind: 'id' }), byClient)).toContain('not an access token');
  });

  it('refuses a signed token whose identity claims hold a control character, naming the claim', async () => {
    expect(await rejection(await issuer.mint({ sub: 'eve', preferred_username: 'eve\u0000' }))).toBe(
      'token claim "preferred_username" contains a control character (U+0000)',
    );
    expect(await rejection(await issuer.mint({ sub: 'eve\u001b[2J' }))).toContain('token claim "sub" contains a control character (U+001B)');
    expect(await rejection(await issuer.mint({ sub: 'eve', tenantId: 'tenant\n1' }))).toContain('"tenant_id" contains a control character (U+000A)');
    expect(await rejection(await issuer.mint({ sub: 'eve', azp: 'app\u0085' }))).toContain('"azp" contains a control character (U+0085)');
    await expect(verifier.verify(await issuer.mint({ sub: 'eve', preferred_username: 'Ève Ødegård' }))).resolves.toMatchObject({ username: 'Ève Ødegård' });
  });

  it('mints the claims Keycloak puts in each kind of token', async () => {
    const decode = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
    const access = decode(await issuer.mint({ tenantId: 't1' }));
    expect(access).toMatchObject({ typ: 'Bearer', aud: 'account', azp: 'tenantry-app', acr: '1', tenant_id: 't1', scope: 'openid profile email' });
    expect(Object.keys(access)).toEqual(expect.arrayContaining(['sid', 'realm_access', 'resource_access', 'preferred_username', 'jti']));
    const id = decode(await issuer.mint({ tenantId: 't1' }, { kind: 'id' }));
    expect(id).toMatchObject({ typ: 'ID', aud: 'tenantry-app', azp: 'tenantry-app', tenant_id: 't1' });
    expect(id).toHaveProperty('at_hash');
    expect(id).not.toHaveProperty('realm_access');
    const refresh = decode(await issuer.mint({ tenantId: 't1' }, { kind: 'refresh' }));
    expect(refresh).toMatchObject({ typ: 'Refresh', aud: issuer.issuer, azp: 'tenantry-app' });
    expect(refresh).not.toHaveProperty('tenant_id');
  });

  it('checks audience or authorised party when configured', async () => {
    const strict = new TokenVerifier({ ...options, audiences: ['orders-api'], clients: ['tenantry-app'] });
    await expect(strict.verify(await issuer.mint({ aud: 'orders-api', azp: 'other' }))).resolves.toBeDefined();
    await expect(strict.verify(await issuer.mint({ aud: 'account', azp: 'tenantry-app' }))).resolves.toBeDefined();
    expect(await rejection(await issuer.mint({ aud: 'account', azp: 'other' }), strict)).toContain('not accepted');
  });

  it('follows key rotation: an unknown kid makes it fetch the JWKS again, once the cooldown allows', async () => {
    const eager = new TokenVerifier({ ...options, jwksCooldownSeconds: 0 });
    const guarded = new TokenVerifier(options);
    const before = await issuer.mint({});
    await eager.verify(before);
    await guarded.verify(before);
    const kid = await issuer.rotate();
    const after = await issuer.mint({}, { kid });
    await expect(eager.verify(after)).resolves.toBeDefined();
    // Within the cooldown a flood of unknown kids cannot make it hammer the identity provider.
    expect(await rejection(after, guarded)).toContain('does not publish');
  });

  it('never allows none or HMAC algorithms, even when configured', () => {
    expect(() => new TokenVerifier({ ...options, algorithms: ['HS256'] })).toThrow('asymmetric');
    expect(() => new TokenVerifier({ ...options, algorithms: ['none'] })).toThrow('asymmetric');
  });

  it('says the identity provider is unavailable (503) rather than blaming the token when the JWKS cannot be fetched', async () => {
    const offline = new TokenVerifier({ ...options, jwksUrl: 'http://127.0.0.1:9/realms/x/protocol/openid-connect/certs' });
    await expect(offline.verify(await issuer.mint({}))).rejects.toBeInstanceOf(DependencyUnavailable);
  });
});
