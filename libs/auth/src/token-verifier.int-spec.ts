import { DependencyUnavailable, Unauthenticated } from '@tenantry/common';
import { LocalIssuer, tamper } from '@tenantry/auth/testing';
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
    expect(await rejection(await issuer.mint({}, { signWith: 'other-key' }))).toContain('key the issuer does not publish');
    expect(await rejection(issuer.forgeAlgNone({ realm_access: { roles: ['platform-admin'] } }))).toMatch(/algorithm|malformed/);
    expect(await rejection(issuer.forgeHs256WithPublicKey({ realm_access: { roles: ['platform-admin'] } }))).toMatch(
      /algorithm|malformed/,
    );
    const token = await issuer.mint({ tenantId: 'tenant-a' });
    expect(await rejection(tamper(token, { tenant_id: 'tenant-b' }))).toBe('token signature does not verify');
    expect(await rejection('not.a.jwt')).toBe('malformed token');
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
