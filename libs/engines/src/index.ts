export * from './tenant-database-engine';
export * from './tenant-names';
export * from './engine-registry';
export * from './engines.module';
export * from './postgres/postgres.engine';
