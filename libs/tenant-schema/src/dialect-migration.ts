import type { QueryRunner } from 'typeorm';
import { DialectUnsupported } from './dialect-unsupported.error';
import type { MigrationPhase, TenantMigration } from './migration-phase';
import { dialectOf, type TenantDialect } from './tenant-dialect';

/** One step of a migration: SQL text, or a QueryRunner call (a helper, a data backfill) for that dialect. */
export type MigrationStep = string | ((q: QueryRunner) => Promise<unknown>);

/** The steps of one direction, for every dialect: the type makes a missing dialect a compile error. */
export type PerDialect = Readonly<Record<TenantDialect, readonly MigrationStep[]>>;

/**
 * A tenant migration written once, with its PostgreSQL and its T-SQL side by side. up() and down()
 * run the steps of the dialect the QueryRunner speaks and refuse any other database, so a migration
 * never sends one dialect's SQL to the other engine.
 */
export abstract class DialectMigration implements TenantMigration {
  abstract readonly phase: MigrationPhase;
  protected abstract readonly upSteps: PerDialect;
  protected abstract readonly downSteps: PerDialect;

  async up(q: QueryRunner): Promise<void> {
    await this.run(q, this.upSteps);
  }

  async down(q: QueryRunner): Promise<void> {
    await this.run(q, this.downSteps);
  }

  private async run(q: QueryRunner, steps: PerDialect): Promise<void> {
    const dialect = dialectOf(q);
    // The type already demands every dialect; this guards migrations built around it (casts, plain JS).
    const mine = steps[dialect] as readonly MigrationStep[] | undefined;
    if (!mine) throw new DialectUnsupported(`migration ${this.constructor.name} declares no steps for ${dialect}`, { dialect });
    for (const step of mine) {
      if (typeof step === 'string') await q.query(step);
      else await step(q);
    }
  }
}
