import { Inject, Injectable } from '@nestjs/common';
import { controlCharacterIn, DependencyUnavailable, Unauthenticated } from '@tenantry/common';
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { AUTH_OPTIONS, type AuthOptions } from './auth-options';
import type { VerifiedPrincipal } from './verified-principal';

const FORBIDDEN_ALGORITHMS = /^(none|HS\d+)$/i;

// Keycloak's `typ` claim: access tokens are "Bearer"; ID, refresh, offline and logout tokens are signed by the same realm keys.
const ACCESS_TOKEN_TYPE = 'Bearer';

/**
 * Verifies Keycloak access tokens as an OIDC resource server does: signature against the realm's
 * JWKS (refetched on an unknown kid, with a cooldown), pinned algorithms, issuer, expiry and
 * not-before with a small skew, the token type (an ID or refresh token of the same realm is not an
 * access token), and the audience or authorised party from configuration.
 */
@Injectable()
export class TokenVerifier {
  private readonly jwks: ReturnType<typeof createRemoteJWKSet>;

  constructor(@Inject(AUTH_OPTIONS) private readonly options: AuthOptions) {
    const weak = options.algorithms.filter((alg) => FORBIDDEN_ALGORITHMS.test(alg));
    if (weak.length > 0 || options.algorithms.length === 0) {
      throw new Error(`token algorithms must be asymmetric; refusing ${weak.join(', ') || 'an empty list'}`);
    }
    this.jwks = createRemoteJWKSet(new URL(options.jwksUrl), {
      cooldownDuration: options.jwksCooldownSeconds * 1000,
      cacheMaxAge: 600_000,
      timeoutDuration: 5000,
    });
  }

  async verify(token: string): Promise<VerifiedPrincipal> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.jwks, {
        issuer: this.options.issuer,
        algorithms: this.options.algorithms,
        clockTolerance: this.options.clockToleranceSeconds,
        requiredClaims: ['exp', 'iat', 'sub'],
      }));
    } catch (error) {
      throw this.explain(error);
    }
    this.checkType(payload);
    this.checkAudience(payload);
    this.checkIdentityClaims(payload);
    return this.toPrincipal(payload);
  }

  /**
   * Refused, not escaped: these claims name the caller in the audit trail, the operations it
   * requests and the logs, where an identity must read exactly as the realm signed it, and an
   * escaped one would not. A username with a control character is a realm misconfigured or abused.
   */
  private checkIdentityClaims(payload: JWTPayload): void {
    const claims = payload as Record<string, unknown>;
    for (const name of ['sub', 'preferred_username', 'azp', this.options.tenantClaim]) {
      const value = claims[name];
      const control = typeof value === 'string' ? controlCharacterIn(value) : undefined;
      if (control) throw new Unauthenticated(`token claim "${name}" contains a control character (${control})`);
    }
  }

  private checkType(payload: JWTPayload): void {
    const type = payload.typ;
    if (type === ACCESS_TOKEN_TYPE) return;
    const named = typeof type === 'string' && /^[A-Za-z]{1,20}$/.test(type) ? `"${type}"` : 'missing or unknown';
    throw new Unauthenticated(`token is not an access token (typ ${named}; expected "${ACCESS_TOKEN_TYPE}")`);
  }

  private checkAudience(payload: JWTPayload): void {
    const { audiences, clients } = this.options;
    if (audiences.length === 0 && clients.length === 0) return;
    const aud = Array.isArray(payload.aud) ? payload.aud : payload.aud ? [payload.aud] : [];
    const azp = typeof payload.azp === 'string' ? payload.azp : undefined;
    const audienceOk = audiences.some((accepted) => aud.includes(accepted));
    const clientOk = azp !== undefined && clients.includes(azp);
    if (!audienceOk && !clientOk) throw new Unauthenticated('token audience / client (azp) is not accepted here');
  }

  private toPrincipal(payload: JWTPayload): VerifiedPrincipal {
    const claims = payload as Record<string, unknown>;
    const tenant = claims[this.options.tenantClaim];
    return {
      subject: String(payload.sub),
      username: typeof claims.preferred_username === 'string' ? claims.preferred_username : String(payload.sub),
      realmRoles: rolesOf(claims.realm_access),
      clientRoles: Object.fromEntries(
        Object.entries((claims.resource_access as Record<string, unknown> | undefined) ?? {}).map(([client, access]) => [client, rolesOf(access)]),
      ),
      tenantId: typeof tenant === 'string' && tenant.length > 0 ? tenant : undefined,
      azp: typeof claims.azp === 'string' ? claims.azp : undefined,
      claims,
    };
  }

  private explain(error: unknown): Error {
    if (error instanceof errors.JWTExpired) return new Unauthenticated('token expired');
    if (error instanceof errors.JWTClaimValidationFailed) {
      if (error.claim === 'iss') return new Unauthenticated('token issuer is not trusted');
      if (error.claim === 'nbf') return new Unauthenticated('token is not valid yet (nbf)');
      return new Unauthenticated(`token claim "${error.claim}" is invalid: ${error.reason}`);
    }
    if (error instanceof errors.JOSEAlgNotAllowed) return new Unauthenticated('token algorithm is not allowed');
    if (error instanceof errors.JWSSignatureVerificationFailed) return new Unauthenticated('token signature does not verify');
    if (error instanceof errors.JWKSNoMatchingKey) return new Unauthenticated('token signed by a key the issuer does not publish');
    if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || isFetchFailure(error)) {
      return new DependencyUnavailable('the identity provider’s signing keys could not be fetched');
    }
    if (error instanceof errors.JOSEError) return new Unauthenticated('malformed token');
    return new Unauthenticated('malformed token');
  }
}

function rolesOf(access: unknown): string[] {
  const roles = (access as { roles?: unknown } | undefined)?.roles;
  return Array.isArray(roles) ? roles.filter((role): role is string => typeof role === 'string') : [];
}

// Compared by name: fetch's TypeError may come from another realm (a test sandbox), where instanceof fails.
function isFetchFailure(error: unknown): boolean {
  const { name, message } = (error ?? {}) as { name?: string; message?: string };
  return name === 'TypeError' && /fetch failed/i.test(message ?? '');
}
