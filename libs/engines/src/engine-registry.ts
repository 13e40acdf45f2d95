import type { EngineKind } from '@tenantry/common';
import { EngineNotConfigured } from './engine-errors';
import type { TenantDatabaseEngine } from './tenant-database-engine';

const HOW_TO_CONFIGURE: Record<EngineKind, string> = {
  postgres: 'TENANT_PG_URL',
  'azure-sql': 'AZURE_SQL_AUTH and the AZURE_SQL_* settings',
};

/** The engine adapters this process can drive, by kind; a pool names its engine and placement picks from here. */
export class EngineRegistry {
  private readonly engines: Map<EngineKind, TenantDatabaseEngine>;

  constructor(engines: TenantDatabaseEngine[]) {
    this.engines = new Map(engines.map((engine) => [engine.kind, engine]));
  }

  get(kind: EngineKind): TenantDatabaseEngine {
    const engine = this.engines.get(kind);
    if (!engine) throw new EngineNotConfigured(`no ${kind} engine is configured in this process (see ${HOW_TO_CONFIGURE[kind]})`);
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
    await Promise.all([...this.engines.values()].map((engine) => engine.close()));
  }
}
