export * from './seeded-tenants';
export * from './boot-tenancy';
