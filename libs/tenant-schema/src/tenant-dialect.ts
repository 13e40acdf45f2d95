import type { DataSource, QueryRunner } from 'typeorm';
import { DialectUnsupported } from './dialect-unsupported.error';

/** The SQL dialects a tenant database speaks: PostgreSQL locally, SQL Server (Azure SQL) in production. */
export const TENANT_DIALECTS = ['postgres', 'mssql'] as const;
export type TenantDialect = (typeof TENANT_DIALECTS)[number];

/** The dialect of a TypeORM DataSource or QueryRunner, by its driver; any other database is refused. */
export function dialectOf(source: DataSource | QueryRunner): TenantDialect {
  const type = ('connection' in source ? source.connection : source).driver.options.type;
  const dialect = TENANT_DIALECTS.find((candidate) => candidate === type);
  if (!dialect) throw new DialectUnsupported(`tenant databases are ${TENANT_DIALECTS.join(' or ')}, not ${type}`, { type });
  return dialect;
}
