import type { EngineKind, TenantDatabaseEngine } from './tenant-database-engine';

/** The engine adapters this process can drive, by kind; a pool names its engine and placement picks from here. */
export class EngineRegistry {
  private readonly engines: Map<EngineKind, TenantDatabaseEngine>;

  constructor(engines: TenantDatabaseEngine[]) {
    this.engines = new Map(engines.map((engine) => [engine.kind, engine]));
  }

  get(kind: EngineKind): TenantDatabaseEngine {
    const engine = this.engines.get(kind);
    if (!engine) throw new Error(`no ${kind} engine is configured in this process`);
    return engine;
  }

  async close(): Promise<void> {
    await Promise.all([...this.engines.values()].map((engine) => engine.close()));
  }
}
