import type { DialectMigration } from '../dialect-migration';
import type { TenantDialect } from '../tenant-dialect';
import { destructiveStatements } from './destructive-statements';
import { type LintDatabase, type LintMode, postgresScratch, sqlServerRecorder, sqlServerScratch } from './lint-databases';

export interface LintTargets {
  /** A PostgreSQL server where a scratch database may be created. */
  postgresUrl: string;
  /** A SQL Server where a scratch database may be created; without one the T-SQL is recorded, not run. */
  mssqlUrl?: string;
}

export interface LintFinding {
  dialect: TenantDialect;
  migration: string;
  file: string;
  reason: string;
  statement: string;
}

export interface DialectLintRun {
  dialect: TenantDialect;
  mode: LintMode;
  where: string;
  /** Per migration, the SQL its up() sent on this dialect. */
  executed: Record<string, string[]>;
}

export interface LintResult {
  findings: LintFinding[];
  runs: DialectLintRun[];
}

/** Where a migration class lives, by the naming convention `<timestamp>-<Name>.ts`. */
export function migrationFile(name: string): string {
  const match = /^(.*?)(\d{13})$/.exec(name);
  return match ? `libs/tenant-schema/src/migrations/${match[2]}-${match[1]}.ts` : `libs/tenant-schema/src/migrations (${name})`;
}

async function lintOn(database: LintDatabase, migrations: Array<new () => DialectMigration>): Promise<{ run: DialectLintRun; findings: LintFinding[] }> {
  const { dialect, mode, where } = database;
  const run: DialectLintRun = { dialect, mode, where, executed: {} };
  const findings: LintFinding[] = [];
  for (const Migration of migrations) {
    const migration = new Migration();
    const executed = await database.record((q) => migration.up(q));
    run.executed[Migration.name] = executed;
    if (migration.phase !== 'expand') continue;
    for (const finding of destructiveStatements(executed, dialect)) {
      findings.push({ dialect, migration: Migration.name, file: migrationFile(Migration.name), ...finding });
    }
  }
  return { run, findings };
}

/**
 * Runs every migration, in order, on each dialect and checks the SQL each one really sent (not a
 * guess from its source): an expand migration must not contain a destructive statement.
 * PostgreSQL runs on a scratch database; SQL Server too when `mssqlUrl` is given, otherwise its
 * T-SQL is recorded without a server. Scratch databases are dropped afterwards.
 */
export async function lintMigrations(targets: LintTargets, migrations: Array<new () => DialectMigration>): Promise<LintResult> {
  const openers: Array<() => Promise<LintDatabase>> = [
    () => postgresScratch(targets.postgresUrl),
    () => (targets.mssqlUrl ? sqlServerScratch(targets.mssqlUrl) : Promise.resolve(sqlServerRecorder())),
  ];
  const result: LintResult = { findings: [], runs: [] };
  for (const open of openers) {
    const database = await open();
    try {
      const { run, findings } = await lintOn(database, migrations);
      result.runs.push(run);
      result.findings.push(...findings);
    } finally {
      await database.close();
    }
  }
  return result;
}
