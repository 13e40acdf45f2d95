import { Inject, Injectable } from '@nestjs/common';
import { InvalidMove, InvalidTenantTransition, PoolCapacityExhausted, PoolNotRegistered, TenantNotFound, type OperationKind } from '@tenantry/common';
import { validateTenantCode } from '@tenantry/engines';
import {
  OperationInProgress,
  OperationQueue,
  RegistryUnitOfWork,
  reserveSlot,
  SLOT_RESERVATION_OPTIONS,
  TenantCacheInvalidator,
  type OperationEntity,
  type SlotReservationOptions,
  type RegistryRepositories,
  type TenantDatabaseEntity,
  type TenantEntity,
  type TenantStatus,
  type MovePlan,
} from '@tenantry/registry';
import { ADMISSION_OPTIONS, type AdmissionOptions } from '../admin-api-settings';
import { dispatch } from '../operations/dispatch';
import type { Actor } from './actor';
import type { CreateTenantDto } from './dto/create-tenant.dto';
import type { ListTenantsQuery } from './dto/list-tenants.query';
import { catalogueChoice } from './tenant-catalogue';

/** A tenant as the API shows it: with the record of its database (null until it is placed). */
export interface TenantWithDatabase {
  tenant: TenantEntity;
  database: TenantDatabaseEntity | null;
}

export interface TenantAccessChange extends TenantWithDatabase {
  operation: OperationEntity;
}

const SUSPENDABLE: TenantStatus[] = ['active'];
const RESUMABLE: TenantStatus[] = ['suspended'];
const DELETABLE: TenantStatus[] = ['active', 'suspended', 'failed'];
const ROTATABLE: TenantStatus[] = ['active', 'suspended'];
const MOVABLE: TenantStatus[] = ['active'];

@Injectable()
export class TenantsService {
  constructor(
    private readonly registry: RegistryUnitOfWork,
    private readonly queue: OperationQueue,
    private readonly invalidator: TenantCacheInvalidator,
    @Inject(ADMISSION_OPTIONS) private readonly admission: AdmissionOptions,
    @Inject(SLOT_RESERVATION_OPTIONS) private readonly slots: SlotReservationOptions,
  ) {}

  /**
   * Tenant, provisioning operation and the tenant's slot in a pool are written in one transaction,
   * so a full fleet refuses with nothing created; the job is only a wake-up call.
   */
  async create(input: CreateTenantDto, actor: Actor): Promise<{ tenant: TenantEntity; operation: OperationEntity }> {
    validateTenantCode(input.code);
    const { plan, region } = catalogueChoice(this.admission.catalogue, input);
    const created = await this.registry.transaction(async (r) => {
      const tenant = await r.tenants.insert({
        code: input.code,
        name: input.name,
        plan,
        region,
      });
      const params = input.pool ? { pool: input.pool } : {};
      const operation = await r.operations.insert({ tenantId: tenant.id, kind: 'provision', requestedBy: actor.name, params });
      await this.audit(r, actor, 'tenant.create', tenant, operation, { name: tenant.name, plan: tenant.plan, region: tenant.region, ...params });
      // Last, so the pool's row is locked only from here to the commit; a full pool undoes the rest.
      tenant.slotPoolId = await reserveSlot(r, tenant.id, {
        pool: input.pool,
        engines: this.admission.engines,
        region: tenant.region,
        lockTimeoutMs: this.slots.lockTimeoutMs,
      });
      return { tenant, operation };
    });
    await dispatch(this.queue, created.operation);
    return created;
  }

  /** Each tenant with its database, as `get` shows it. */
  async list(query: ListTenantsQuery): Promise<{ items: TenantWithDatabase[]; total: number }> {
    const { repositories } = this.registry;
    const page = await repositories.tenants.list({
      status: query.status,
      offset: (query.page - 1) * query.pageSize,
      limit: query.pageSize,
    });
    const databases = await repositories.databases.findByTenants(page.items.map((tenant) => tenant.id));
    const byTenant = new Map(databases.map((database) => [database.tenantId, database]));
    return { items: page.items.map((tenant) => ({ tenant, database: byTenant.get(tenant.id) ?? null })), total: page.total };
  }

  async get(code: string): Promise<TenantWithDatabase> {
    const tenant = await this.registry.repositories.tenants.findByCode(code);
    if (!tenant) throw new TenantNotFound(code);
    return { tenant, database: await this.registry.repositories.databases.findByTenant(tenant.id) };
  }

  /** The tenant is refused at once; its suspend operation then disables its login and ends its sessions. */
  suspend(code: string, actor: Actor): Promise<TenantAccessChange> {
    return this.changeAccess(code, actor, 'suspend', SUSPENDABLE, 'suspended');
  }

  /** Its resume operation enables the login again, then makes the tenant active; it stays suspended until then. */
  resume(code: string, actor: Actor): Promise<TenantAccessChange> {
    return this.changeAccess(code, actor, 'resume', RESUMABLE, null);
  }

  /** Starts offboarding: the tenant stops resolving at once, the worker drops its database. */
  async deprovision(code: string, actor: Actor, options: { export?: boolean }): Promise<OperationEntity> {
    const { tenant, operation } = await this.registry.transaction(async (r) => {
      const locked = await this.lockLive(r, code);
      if (!DELETABLE.includes(locked.status)) throw new InvalidTenantTransition(code, locked.status, 'delete');
      const op = await this.insertOperation(r, locked, 'deprovision', actor, { export: options.export === true });
      await r.tenants.setStatus(locked.id, 'deprovisioning');
      await this.audit(r, actor, 'tenant.delete', locked, op, { export: options.export === true });
      return { tenant: locked, operation: op };
    });
    await this.invalidator.invalidate(tenant.id);
    await dispatch(this.queue, operation);
    return operation;
  }

  /** Queues a new password for the tenant's login; business services switch to it when the worker invalidates their caches. */
  async rotateCredentials(code: string, actor: Actor): Promise<OperationEntity> {
    const operation = await this.registry.transaction(async (r) => {
      const locked = await this.lockLive(r, code);
      if (!ROTATABLE.includes(locked.status)) throw new InvalidTenantTransition(code, locked.status, 'rotate the credentials of');
      const op = await this.insertOperation(r, locked, 'rotate_credentials', actor, {});
      await this.audit(r, actor, 'tenant.rotate_credentials', locked, op, {});
      return op;
    });
    await dispatch(this.queue, operation);
    return operation;
  }

  /**
   * Queues a move of the tenant's database to `pool`, which takes a slot for it at once (a full pool
   * refuses here, with nothing started): the worker copies, freezes, checks and switches, and the
   * tenant keeps its slot in its current pool until the switch.
   */
  async move(code: string, poolName: string, actor: Actor): Promise<OperationEntity> {
    const operation = await this.registry.transaction(async (r) => {
      const locked = await this.lockLive(r, code);
      if (!MOVABLE.includes(locked.status)) throw new InvalidTenantTransition(code, locked.status, 'move');
      const database = await r.databases.findByTenant(locked.id);
      if (!database?.poolId || database.droppedAt) throw new InvalidTenantTransition(code, 'without a database', 'move');
      await r.pools.limitLockWaits(this.slots.lockTimeoutMs);
      const pool = await r.pools.lockByName(poolName);
      if (!pool) throw new PoolNotRegistered(poolName);
      if (pool.id === database.poolId) throw new InvalidMove(`tenant "${code}" is already in pool ${poolName}`);
      if (pool.address.engine !== database.address.engine) {
        throw new InvalidMove(`pool ${poolName} is ${pool.address.engine}, tenant "${code}" is on ${database.address.engine}: a move stays on one engine`);
      }
      const server = await r.servers.findById(pool.serverId);
      if (server?.draining) throw new PoolCapacityExhausted(`database pool ${poolName} is on server ${server.name}, which is draining: it takes no tenant`);
      const sameServer = pool.address.host === database.address.host && pool.address.port === database.address.port;
      if (!sameServer && (await r.retiredDatabases.findKept(locked.id, pool.address.host, pool.address.port, database.databaseName))) {
        throw new InvalidMove(`the database tenant "${code}" left on pool ${poolName}'s server is still kept there (retention); move elsewhere, or after it is dropped`);
      }
      const plan: MovePlan = {
        pool: poolName,
        from: { poolId: database.poolId, address: database.address, databaseName: database.databaseName },
        to: { poolId: pool.id, address: pool.address, databaseName: database.databaseName },
      };
      const op = await this.insertOperation(r, locked, 'move', actor, { ...plan });
      if (!(await r.pools.reserveExtra(pool.id))) throw new PoolCapacityExhausted(`database pool ${poolName} ${pool.usedSlots}/${pool.maxDatabases} is full`);
      await this.audit(r, actor, 'tenant.move', locked, op, { pool: poolName, dedicated: pool.dedicated });
      return op;
    });
    await dispatch(this.queue, operation);
    return operation;
  }

  /** The worker changes the login (the admin API holds no database credential); `now` is the status the tenant takes at once. */
  private async changeAccess(code: string, actor: Actor, kind: 'suspend' | 'resume', from: TenantStatus[], now: TenantStatus | null): Promise<TenantAccessChange> {
    const change = await this.registry.transaction(async (r): Promise<TenantAccessChange> => {
      const locked = await this.lockLive(r, code);
      if (!from.includes(locked.status)) throw new InvalidTenantTransition(code, locked.status, kind);
      const operation = await this.insertOperation(r, locked, kind, actor, {});
      if (now) await r.tenants.setStatus(locked.id, now);
      await this.audit(r, actor, `tenant.${kind}`, locked, operation, { from: locked.status });
      // Read back in the transaction: the answer is what this request committed, not what the worker did since.
      const tenant = (await r.tenants.findById(locked.id)) as TenantEntity;
      return { tenant, database: await r.databases.findByTenant(locked.id), operation };
    });
    if (now) await this.invalidator.invalidate(change.tenant.id);
    await dispatch(this.queue, change.operation);
    return change;
  }

  private async lockLive(r: RegistryRepositories, code: string): Promise<TenantEntity> {
    const tenant = await r.tenants.findByCode(code, true);
    if (!tenant || tenant.status === 'deleted') throw new TenantNotFound(code);
    return tenant;
  }

  private async insertOperation(
    r: RegistryRepositories,
    tenant: TenantEntity,
    kind: OperationKind,
    actor: Actor,
    params: Record<string, unknown>,
  ): Promise<OperationEntity> {
    try {
      return await r.operations.insert({ tenantId: tenant.id, kind, requestedBy: actor.name, params });
    } catch (error) {
      if (error instanceof OperationInProgress) throw new InvalidTenantTransition(tenant.code, 'busy with another operation', kind);
      throw error;
    }
  }

  private audit(
    r: RegistryRepositories,
    actor: Actor,
    action: string,
    tenant: TenantEntity,
    operation: OperationEntity | null,
    details: Record<string, unknown>,
  ): Promise<void> {
    return r.audit.record({ actor, action, tenant, operation, details });
  }
}
