import { createRequire } from 'node:module';
import { join } from 'node:path';

/**
 * Preloaded into the built worker (NODE_OPTIONS=--require) by bench:fleet, which runs no SQL Server:
 * the three steps that happen inside a tenant database (the contained user, its password, the
 * tenant migrations) answer at once, as if SQL Server had. Everything else in the worker (queue,
 * saga, registry, ARM through the SDK) is the built code, untouched. The bench's output names it.
 */

// Compiled into dist-bench/bench: the built apps' modules are in the repository's dist/, two levels up.
const root = join(__dirname, '..', '..');
const load = createRequire(__filename);

interface Patchable {
  prototype: Record<string, unknown>;
}

const { SqlServerUsers } = load(join(root, 'dist/libs/engines/src/azure-sql/sql-server-users.js')) as { SqlServerUsers: Patchable };
const { SqlServerMigrations } = load(join(root, 'dist/libs/engines/src/azure-sql/sql-server-migrations.js')) as { SqlServerMigrations: Patchable };
const { CURRENT_TENANT_SCHEMA_VERSION } = load(join(root, 'dist/libs/tenant-schema/src/tenant-schema.js')) as { CURRENT_TENANT_SCHEMA_VERSION: string };

SqlServerUsers.prototype.ensure = async () => undefined;
SqlServerUsers.prototype.setPassword = async () => new Date();
SqlServerMigrations.prototype.apply = async () => ({ applied: [], version: CURRENT_TENANT_SCHEMA_VERSION });
