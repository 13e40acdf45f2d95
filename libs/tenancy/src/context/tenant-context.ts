import { Injectable } from '@nestjs/common';
import { currentTenantId, enterTenant } from '@tenantry/common';
import { ClsService } from 'nestjs-cls';
import type { DataSource, EntityTarget, ObjectLiteral, Repository } from 'typeorm';
import { TenantConnectionManager } from '../connections/tenant-connection-manager';
import { TenantResolver, type ActiveTenant } from '../resolution/tenant-resolver';
import { LeaseScope } from './lease-scope';

const TENANT_ROUTE_KEY = 'tenantry:route';
const LEASE_SCOPE_KEY = 'tenantry:leases';

export class NoTenantContext extends Error {
  constructor(what = 'no tenant in the current context') {
    super(`${what}: use @TenantScoped() on the route, or runInTenant() outside HTTP`);
  }
}

/**
 * The current tenant, kept in AsyncLocalStorage: services ask for the tenant's DataSource or a
 * repository without knowing which tenant it is, and never through a request-scoped provider.
 */
@Injectable()
export class TenantContext {
  constructor(
    private readonly cls: ClsService,
    private readonly resolver: TenantResolver,
    private readonly connections: TenantConnectionManager,
  ) {}

  get tenantId(): string {
    const tenantId = currentTenantId(this.cls);
    if (!tenantId) throw new NoTenantContext();
    return tenantId;
  }

  /** Resolves the current tenant (refusing a suspended or unknown one) and remembers it for the rest of the unit of work. */
  async resolve(): Promise<ActiveTenant> {
    const tenantId = this.tenantId;
    const known = this.cls.get<ActiveTenant | undefined>(TENANT_ROUTE_KEY);
    if (known?.tenantId === tenantId) return known;
    const tenant = await this.resolver.resolveActive(tenantId);
    this.cls.set(TENANT_ROUTE_KEY, tenant);
    return tenant;
  }

  async dataSource(): Promise<DataSource> {
    const tenant = await this.resolve();
    const scope = this.cls.get<LeaseScope | undefined>(LEASE_SCOPE_KEY);
    if (!scope) throw new NoTenantContext('no unit of work holds tenant connections here');
    return (await scope.hold(tenant.tenantId, () => this.connections.lease(tenant))).dataSource;
  }

  async repository<T extends ObjectLiteral>(entity: EntityTarget<T>): Promise<Repository<T>> {
    return (await this.dataSource()).getRepository(entity);
  }

  /**
   * The same tenant context outside HTTP (workers, scripts): `fn` sees `tenantId` as the current
   * tenant, its log lines carry it, and the tenant's connections are released when `fn` settles.
   */
  runInTenant<T>(tenantId: string, fn: () => Promise<T>): Promise<T> {
    return this.cls.run(async () => {
      enterTenant(this.cls, tenantId);
      const scope = this.beginUnitOfWork();
      try {
        await this.resolve();
        return await fn();
      } finally {
        scope.end();
      }
    });
  }

  /** Starts the scope whose end releases the tenant connections taken in it (the interceptor does this per request). */
  beginUnitOfWork(): LeaseScope {
    const scope = new LeaseScope();
    this.cls.set(LEASE_SCOPE_KEY, scope);
    return scope;
  }
}
