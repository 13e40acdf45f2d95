export * from './arm-sql-double';
export * from './provision-tenant';
export * from './login-password';
export * from './tenant-target';
export * from './tds-double';
export * from './postgres-engine';
export * from './arm-engine-options';
