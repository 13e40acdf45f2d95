export type EngineKind = 'postgres' | 'azure-sql';
