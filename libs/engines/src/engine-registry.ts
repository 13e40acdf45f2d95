import type { EngineKind, PoolAddress } from '@tenantry/common';
import { EngineNotConfigured } from './engine-errors';
import type { ServerCredentialSource } from './server-credentials';
import type { TenantDatabaseEngine } from './tenant-database-engine';

const HOW_TO_CONFIGURE: Record<EngineKind, string> = {
  postgres: 'TENANT_PG_URL',
  'azure-sql': 'AZURE_SQL_AUTH and the AZURE_SQL_* settings',
};

/** How a process reaches registered PostgreSQL servers other than its configured one. */
export interface RegisteredPostgresServers {
  credentials: ServerCredentialSource;
  /** An engine of the same settings as the configured one, signed in with `adminUrl`. */
  connect(adminUrl: string): TenantDatabaseEngine;
}

/**
 * The engine adapters this process can drive, by kind, and the engine for each server: a pool names
 * its engine and server, and placement picks from here. An Azure SQL engine acts on every logical
 * server through ARM (the elastic pool's id names it); a PostgreSQL engine holds connections to one
 * server, so each registered server gets its own, made on first use and kept while its credential stays.
 */
export class EngineRegistry {
  private readonly engines: Map<EngineKind, TenantDatabaseEngine>;
  private readonly servers = new Map<string, { adminUrl: string; engine: TenantDatabaseEngine }>();

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
    const adminUrl = await this.registered.credentials.postgresAdminUrl(address);
    if (adminUrl === null) return configured;
    const key = `${address.host}:${address.port}`;
    const known = this.servers.get(key);
    if (known?.adminUrl === adminUrl) return known.engine;
    // A changed credential: new sessions sign in with it; the old engine's pool closes once its work is done.
    if (known) void known.engine.close().catch(() => undefined);
    const engine = this.registered.connect(adminUrl);
    this.servers.set(key, { adminUrl, engine });
    return engine;
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
