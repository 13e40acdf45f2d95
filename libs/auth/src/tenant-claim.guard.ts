import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Forbidden, Unauthenticated } from '@tenantry/common';
import { AUTH_OPTIONS, type AuthOptions } from './auth-options';
import type { AuthenticatedRequest } from './jwt-auth.guard';

/** Refuses a request whose verified token names no tenant; the tenancy lib takes the tenant from that claim, never from a header, path or body. */
@Injectable()
export class TenantClaimGuard implements CanActivate {
  constructor(@Inject(AUTH_OPTIONS) private readonly options: AuthOptions) {}

  canActivate(context: ExecutionContext): boolean {
    const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
    if (!principal) throw new Unauthenticated('missing bearer token (Authorization: Bearer <JWT>)');
    if (!principal.tenantId) throw new Forbidden(`token carries no ${this.options.tenantClaim} claim`);
    return true;
  }
}
