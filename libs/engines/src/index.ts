export * from './tenant-database-engine';
export * from './tenant-names';
export * from './engine-errors';
export * from './engine-registry';
export * from './engines.module';
export * from './postgres/postgres.engine';
export * from './azure-sql/azure-sql.engine';
export * from './azure-sql/elastic-pool';
