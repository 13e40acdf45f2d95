import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { AuthenticatedRequest } from '@tenantry/auth';
import { enterTenant, TenantWritesFrozen } from '@tenantry/common';
import { ClsService } from 'nestjs-cls';
import { NoTenantContext, TenantContext } from '../context/tenant-context';

// Requests that only read: served from the tenant's current database while a switchover freezes its writes.
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Runs after the token is verified and its tenant claim checked: that tenant becomes the request's,
 * and an unknown tenant is a 404, a suspended one a 403, a write while a switchover holds the
 * tenant's writes a 503 with Retry-After, before any handler.
 */
@Injectable()
export class TenantActiveGuard implements CanActivate {
  constructor(
    private readonly context: TenantContext,
    private readonly cls: ClsService,
  ) {}

  async canActivate(execution: ExecutionContext): Promise<boolean> {
    const request = execution.switchToHttp().getRequest<AuthenticatedRequest & { method: string }>();
    const tenantId = request.principal?.tenantId;
    // TenantClaimGuard, before this one, refuses a request whose token names no tenant.
    if (!tenantId) throw new NoTenantContext('no verified tenant claim on this request');
    enterTenant(this.cls, tenantId);
    const tenant = await this.context.resolve();
    if (tenant.database.writesFrozen && !READS.has(request.method)) throw new TenantWritesFrozen();
    return true;
  }
}
