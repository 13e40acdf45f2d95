import { applyDecorators, createParamDecorator, UseGuards, UseInterceptors } from '@nestjs/common';
import { JwtAuthGuard, TenantClaimGuard } from '@tenantry/auth';
import { currentTenantId } from '@tenantry/common';
import { TenantScopeInterceptor } from '../context/tenant-scope.interceptor';
import { TenantActiveGuard } from './tenant-active.guard';

/** The route needs a verified token with a tenant claim naming an active tenant; the tenant comes from nowhere else. */
export function TenantScoped(): ClassDecorator & MethodDecorator {
  return applyDecorators(UseGuards(JwtAuthGuard, TenantClaimGuard, TenantActiveGuard), UseInterceptors(TenantScopeInterceptor));
}

/** The current tenant's id, as verified from the token. */
export const CurrentTenant = createParamDecorator((): string | undefined => currentTenantId());
