import type { EngineKind, PoolAddress } from '@tenantry/common';
import { EngineNotConfigured } from './engine-errors';
import type { RegisteredServerAccess, ServerCredentialSource } from './server-credentials';
import type { TenantDatabaseEngine } from './tenant-database-engine';

const HOW_TO_CONFIGURE: Record<EngineKind, string> = {
  postgres: 'TENANT_PG_URL',
  'azure-sql': 'AZURE_SQL_AUTH and the AZURE_SQL_* settings',
};

// How long a registered server's credential, once read, serves its engine operations before the registry row is
// read again. The simplest invalidation that is correct here: a credential changes only with PUT /servers, which is
// rare, and an operation that fails on the old one meanwhile is retried by its caller (a job after 1 s, doubling),
// by when the new one is read. A Redis invalidation would need a channel the migration runner does not hold and
// still a time limit for the messages Redis loses; keying the engine on the row's updated_at still reads the row.
const CREDENTIAL_TTL_MS = 5_000;

/** How a process reaches registered PostgreSQL servers other than its configured one. */
export interface RegisteredPostgresServers {
  credentials: ServerCredentialSource;
  /** An engine of the same settings as the configured one, signed in with `access`. */
  connect(access: RegisteredServerAccess): TenantDatabaseEngine;
}

/**
 * The engine adapters this process can drive, by kind, and the engine for each server: a pool names
 * its engine and server, and placement picks from here. An Azure SQL engine acts on every logical
 * server through ARM (the elastic pool's id names it); a PostgreSQL engine holds connections to one
 * server, so each registered server gets its own, made on first use and kept while its credential stays.
 */
export class EngineRegistry {
  private readonly engines: Map<EngineKind, TenantDatabaseEngine>;
  private readonly servers = new Map<string, { signIn: string; engine: TenantDatabaseEngine }>();
  // By host:port: one read shared by the operations that start together, a failed one not kept.
  private readonly accesses = new Map<string, { access: Promise<RegisteredServerAccess | null>; until: number }>();

  constructor(
    engines: TenantDatabaseEngine[],
    private readonly registered?: RegisteredPostgresServers,
  ) {
    this.engines = new Map(engines.map((engine) => [engine.kind, engine]));
  }

  get(kind: EngineKind): TenantDatabaseEngine {
    const engine = this.engines.get(kind);
    if (!engine) throw new EngineNotConfigured(`no ${kind} engine is configured in this process (see ${HOW_TO_CONFIGURE[kind]})`);
    return engine;
  }

  /** The engine that acts on the server at `address` (a pool's, or a tenant database's). */
  async on(address: PoolAddress): Promise<TenantDatabaseEngine> {
    const configured = this.get(address.engine);
    if (address.engine !== 'postgres' || !this.registered) return configured;
    const key = `${address.host}:${address.port}`;
    const access = await this.access(key, address, this.registered.credentials);
    if (access === null) return configured;
    const signIn = `${access.adminUrl} ${access.poolerAdminUrl ?? ''}`;
    const known = this.servers.get(key);
    if (known?.signIn === signIn) return known.engine;
    // A changed credential or pooler: new sessions sign in with it; the old engine's pool closes once its work is done.
    if (known) void known.engine.close().catch(() => undefined);
    const engine = this.registered.connect(access);
    this.servers.set(key, { signIn, engine });
    return engine;
  }

  private access(key: string, address: PoolAddress, credentials: ServerCredentialSource): Promise<RegisteredServerAccess | null> {
    const known = this.accesses.get(key);
    if (known && Date.now() < known.until) return known.access;
    const access = credentials.postgresAccess(address);
    this.accesses.set(key, { access, until: Date.now() + CREDENTIAL_TTL_MS });
    access.catch(() => this.accesses.get(key)?.access === access && this.accesses.delete(key));
    return access;
  }

  /** EngineNotConfigured, saying how to configure it, when this process cannot drive `kind`. */
  assertConfigured(kind: EngineKind): void {
    this.get(kind);
  }

  kinds(): EngineKind[] {
    return [...this.engines.keys()];
  }

  async close(): Promise<void> {
    await Promise.all([...this.engines.values(), ...[...this.servers.values()].map(({ engine }) => engine)].map((engine) => engine.close()));
  }
}
