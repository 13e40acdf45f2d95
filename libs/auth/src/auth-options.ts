import { csvVariable, defineSettings, type RawEnv } from '@tenantry/common';
import { z } from 'zod';

/** How tokens from the Keycloak realm are verified. */
export interface AuthOptions {
  issuer: string;
  jwksUrl: string;
  audiences: string[];
  clients: string[];
  algorithms: string[];
  clockToleranceSeconds: number;
  jwksCooldownSeconds: number;
  tenantClaim: string;
  adminRole: string;
}

export const AUTH_OPTIONS = Symbol('AUTH_OPTIONS');

// Without an accepted audience or client, a token the realm issued to any of its clients would do.
function audienceProblems(env: RawEnv): string[] {
  if ((env.TENANTRY_MODE ?? 'production') !== 'production') return [];
  const listed = (value: string | undefined) => (value ?? '').split(',').some((item) => item.trim().length > 0);
  if (listed(env.AUTH_CLIENTS) || listed(env.AUTH_AUDIENCES)) return [];
  return [
    'AUTH_CLIENTS or AUTH_AUDIENCES: one is required outside development (TENANTRY_MODE=production, the default): the azp clients or aud values a token must carry (e.g. AUTH_CLIENTS=tenantry-app,tenantry-admin-cli); TENANTRY_MODE=development skips this for a local issuer (npm start sets it)',
  ];
}

/** Read only by the processes that verify tokens: only they need an accepted audience or client. */
export const authSettings = defineSettings({
  variables: {
    // development: tokens from a local issuer need no audience or client check; production (the default) refuses to run without one.
    TENANTRY_MODE: z.enum(['development', 'production']).default('production'),
    AUTH_ISSUER: z.string().url().default('http://127.0.0.1:8081/realms/tenantry'),
    AUTH_JWKS_URL: z.string().url().optional(),
    AUTH_AUDIENCES: csvVariable(''),
    AUTH_CLIENTS: csvVariable(''),
    AUTH_ALGORITHMS: csvVariable('RS256').pipe(
      z.array(z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'])).min(1, 'must name at least one asymmetric algorithm'),
    ),
    AUTH_CLOCK_TOLERANCE_SECONDS: z.coerce.number().int().min(0).max(300).default(30),
    AUTH_JWKS_COOLDOWN_SECONDS: z.coerce.number().int().min(0).max(3600).default(30),
    AUTH_TENANT_CLAIM: z.string().min(1).default('tenant_id'),
    AUTH_ADMIN_ROLE: z.string().min(1).default('platform-admin'),
  },
  precheck: audienceProblems,
  build: (e): AuthOptions => {
    const issuer = e.AUTH_ISSUER.replace(/\/$/, '');
    return {
      issuer,
      jwksUrl: e.AUTH_JWKS_URL ?? `${issuer}/protocol/openid-connect/certs`,
      audiences: e.AUTH_AUDIENCES,
      clients: e.AUTH_CLIENTS,
      algorithms: e.AUTH_ALGORITHMS,
      clockToleranceSeconds: e.AUTH_CLOCK_TOLERANCE_SECONDS,
      jwksCooldownSeconds: e.AUTH_JWKS_COOLDOWN_SECONDS,
      tenantClaim: e.AUTH_TENANT_CLAIM,
      adminRole: e.AUTH_ADMIN_ROLE,
    };
  },
});
