import { MIGRATIONS_TABLE, TENANT_MIGRATIONS } from '@tenantry/tenant-schema';
import { DataSource } from 'typeorm';

// What a team without a fleet runner does: the TypeORM CLI, once per tenant, pointed at its database.
export default new DataSource({
  type: 'postgres',
  url: process.env.BENCH_TENANT_URL,
  migrations: TENANT_MIGRATIONS,
  migrationsTableName: MIGRATIONS_TABLE,
  logging: false,
});
