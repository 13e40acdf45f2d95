import type { EngineKind } from '@tenantry/common';
import type { EntityManager } from 'typeorm';
import { DatabaseServerEntity } from '../entities/database-server.entity';

type PoolerColumns = 'poolerHost' | 'poolerPort' | 'poolerAdminLogin' | 'poolerAdminSecret';

/** What registering a server sets; `secret` and `poolerAdminSecret` are already protected, and a server without a pooler leaves its columns out. */
export type ServerRegistration = Omit<DatabaseServerEntity, 'id' | 'createdAt' | 'updatedAt' | PoolerColumns> & Partial<Pick<DatabaseServerEntity, PoolerColumns>>;

export interface ServerUsage {
  server: DatabaseServerEntity;
  pools: number;
  /** Its pools' capacities together: never above the server's limit. */
  allotted: number;
  /** Tenants taking a slot in its pools. */
  used: number;
}

const locked = (lock: boolean) => (lock ? { lock: { mode: 'pessimistic_write' as const } } : {});

export class ServerRepository {
  constructor(private readonly em: EntityManager) {}

  private get repo() {
    return this.em.getRepository(DatabaseServerEntity);
  }

  /** Registers a server or updates it (by name); its id stays, and so do its pools. `id`: the id a new one takes. */
  async upsert(server: ServerRegistration & { id?: string }): Promise<DatabaseServerEntity> {
    await this.repo
      .createQueryBuilder()
      .insert()
      .values(server)
      .orUpdate(
        [
          'engine',
          'host',
          'port',
          'region',
          'max_databases',
          'credential_kind',
          'login',
          'secret',
          'pooler_host',
          'pooler_port',
          'pooler_admin_login',
          'pooler_admin_secret',
          'draining',
          'updated_at',
        ],
        ['name'],
      )
      .execute();
    return this.repo.findOneOrFail({ where: { name: server.name } });
  }

  /** Registers the configured server unless a server of its address (or name) is already registered; returns the one of its address. */
  async insertIfAbsent(server: ServerRegistration): Promise<DatabaseServerEntity | null> {
    await this.repo.createQueryBuilder().insert().values(server).orIgnore().execute();
    return this.findByAddress(server.engine, server.host, server.port);
  }

  /** `lock`: the row stays locked to the end of the transaction. */
  findByName(name: string, lock = false): Promise<DatabaseServerEntity | null> {
    return this.repo.findOne({ where: { name }, ...locked(lock) });
  }

  findById(id: string): Promise<DatabaseServerEntity | null> {
    return this.repo.findOne({ where: { id } });
  }

  /** `lock`: the row stays locked to the end of the transaction. */
  findByAddress(engine: EngineKind, host: string, port: number, lock = false): Promise<DatabaseServerEntity | null> {
    return this.repo.findOne({ where: { engine, host, port }, ...locked(lock) });
  }

  /** Every server of `engine`, by name. */
  byEngine(engine: EngineKind): Promise<DatabaseServerEntity[]> {
    return this.repo.find({ where: { engine }, order: { name: 'ASC' } });
  }

  /** Capacity its pools hold together, leaving out `exceptPool` (the pool being re-registered). */
  async allotted(serverId: string, exceptPool?: string): Promise<number> {
    const [{ total }]: Array<{ total: number }> = await this.em.query(
      `SELECT coalesce(sum(max_databases), 0)::int AS total FROM database_pools WHERE server_id = $1 AND name IS DISTINCT FROM $2`,
      [serverId, exceptPool ?? null],
    );
    return total;
  }

  /** Every server by name, with what its pools hold: one aggregate over the pools, not over tenants. */
  async usage(): Promise<ServerUsage[]> {
    const rows: Array<{ server_id: string; pools: number; allotted: number; used: number }> = await this.em.query(
      `SELECT server_id, count(*)::int AS pools, sum(max_databases)::int AS allotted, sum(used_slots)::int AS used FROM database_pools GROUP BY server_id`,
    );
    const byServer = new Map(rows.map((row) => [row.server_id, row]));
    const servers = await this.repo.find({ order: { name: 'ASC' } });
    return servers.map((server) => {
      const row = byServer.get(server.id);
      return { server, pools: row?.pools ?? 0, allotted: row?.allotted ?? 0, used: row?.used ?? 0 };
    });
  }
}
