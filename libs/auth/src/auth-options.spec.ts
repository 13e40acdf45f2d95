import { loadSettings, type RawEnv } from '@tenantry/common';
import { settingsProblems } from '@tenantry/common/testing';
import { authSettings } from './auth-options';

const problemsOf = (env: RawEnv) => settingsProblems(authSettings, env);

describe('authSettings', () => {
  it('trusts the local realm by default, in development', () => {
    expect(loadSettings(authSettings, { TENANTRY_MODE: 'development', AUTH_AUDIENCES: 'orders-api, billing-api' })).toMatchObject({
      issuer: 'http://127.0.0.1:8081/realms/tenantry',
      jwksUrl: 'http://127.0.0.1:8081/realms/tenantry/protocol/openid-connect/certs',
      audiences: ['orders-api', 'billing-api'],
      clients: [],
      algorithms: ['RS256'],
      clockToleranceSeconds: 30,
      jwksCooldownSeconds: 30,
      tenantClaim: 'tenant_id',
      adminRole: 'platform-admin',
    });
  });

  it('outside development, refuses to start without an accepted client or audience, naming both settings with every other problem', () => {
    expect(problemsOf({ AUTH_ALGORITHMS: 'HS256' })).toEqual([
      expect.stringMatching(/^AUTH_ALGORITHMS/),
      expect.stringMatching(/^AUTH_CLIENTS or AUTH_AUDIENCES: one is required outside development \(TENANTRY_MODE=production, the default\)/),
    ]);
    expect(problemsOf({ TENANTRY_MODE: 'production', AUTH_CLIENTS: ' , ' }).join()).toContain('AUTH_CLIENTS or AUTH_AUDIENCES');
    expect(problemsOf({ AUTH_CLIENTS: 'tenantry-app' })).toEqual([]);
    expect(problemsOf({ AUTH_AUDIENCES: 'orders-api' })).toEqual([]);
    expect(problemsOf({ TENANTRY_MODE: 'development' })).toEqual([]);
    expect(problemsOf({ TENANTRY_MODE: 'dev' }).join()).toContain('TENANTRY_MODE');
  });
});
