import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { AuthenticatedRequest } from '@tenantry/auth';
import { enterTenant } from '@tenantry/common';
import { ClsService } from 'nestjs-cls';
import { NoTenantContext, TenantContext } from '../context/tenant-context';

/**
 * Runs after the token is verified and its tenant claim checked: that tenant becomes the request's,
 * and an unknown tenant is a 404, a suspended one a 403, before any handler.
 */
@Injectable()
export class TenantActiveGuard implements CanActivate {
  constructor(
    private readonly context: TenantContext,
    private readonly cls: ClsService,
  ) {}

  async canActivate(execution: ExecutionContext): Promise<boolean> {
    const tenantId = execution.switchToHttp().getRequest<AuthenticatedRequest>().principal?.tenantId;
    // TenantClaimGuard, before this one, refuses a request whose token names no tenant.
    if (!tenantId) throw new NoTenantContext('no verified tenant claim on this request');
    enterTenant(this.cls, tenantId);
    await this.context.resolve();
    return true;
  }
}
