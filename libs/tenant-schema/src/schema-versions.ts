import type { DialectMigration } from './dialect-migration';
import { TENANT_MIGRATIONS } from './tenant-schema';

// A version is the name of the newest migration applied (CreateOrders1764000001000): its timestamp orders it.
const TIMESTAMP = /(\d{13})$/;

/** Where `version` (a migration name, or a bare timestamp) sits in time; null when it names no timestamp. */
export function versionTimestamp(version: string): number | null {
  const match = TIMESTAMP.exec(version.trim());
  return match ? Number(match[1]) : null;
}

/** The migrations a database at `version` has applied, in order; throws for a version this code does not know. */
export function migrationsUpTo(version: string): Array<new () => DialectMigration> {
  const index = TENANT_MIGRATIONS.findIndex((migration) => migration.name === version);
  if (index < 0) throw new Error(`tenant schema version ${version} is not one this code knows (${TENANT_MIGRATIONS.map((m) => m.name).join(', ')})`);
  return TENANT_MIGRATIONS.slice(0, index + 1);
}

/** The range of tenant schema versions a business service works with; either bound may be open. */
export interface SchemaVersionRange {
  min: string | null;
  max: string | null;
}

/** Whether a tenant at `version` is inside `range`: `below` / `above` when it is not, `unknown` when it has no version. */
export function placeInRange(version: string | null, range: SchemaVersionRange): 'inside' | 'below' | 'above' | 'unknown' {
  if (range.min === null && range.max === null) return 'inside';
  const at = version === null ? null : versionTimestamp(version);
  if (at === null) return 'unknown';
  if (range.min !== null && at < versionTimestamp(range.min)!) return 'below';
  if (range.max !== null && at > versionTimestamp(range.max)!) return 'above';
  return 'inside';
}
