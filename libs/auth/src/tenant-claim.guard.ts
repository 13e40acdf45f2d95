import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Forbidden, TENANT_ID_KEY, Unauthenticated } from '@tenantry/common';
import { ClsService } from 'nestjs-cls';
import { AUTH_OPTIONS, type AuthOptions } from './auth-options';
import type { AuthenticatedRequest } from './jwt-auth.guard';

/** Puts the verified token's tenant into the request context; headers, path and body are never consulted. */
@Injectable()
export class TenantClaimGuard implements CanActivate {
  constructor(
    private readonly cls: ClsService,
    @Inject(AUTH_OPTIONS) private readonly options: AuthOptions,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
    if (!principal) throw new Unauthenticated('missing bearer token (Authorization: Bearer <JWT>)');
    if (!principal.tenantId) throw new Forbidden(`token carries no ${this.options.tenantClaim} claim`);
    this.cls.set(TENANT_ID_KEY, principal.tenantId);
    return true;
  }
}
