import type { MigrationInterface } from 'typeorm';

/**
 * expand: additive, safe while the previous app version still runs (new table, nullable column,
 * column with a default, new index). contract: destructive, only once every tenant and the running
 * app are past the expand that made it safe (drop, rename, type change, NOT NULL on an old column).
 */
export type MigrationPhase = 'expand' | 'contract';

export interface TenantMigration extends MigrationInterface {
  readonly phase: MigrationPhase;
  /** A contract migration names the expand migration that made it safe; it runs only once every tenant has that one. */
  readonly dependsOn?: string;
}
