import { Client } from 'pg';
import { DataSource, type QueryRunner } from 'typeorm';
import { randomBytes } from 'node:crypto';
import type { TenantMigration } from '../migration-phase';
import { destructiveStatements } from './destructive-statements';

export interface LintFinding {
  migration: string;
  file: string;
  reason: string;
  statement: string;
}

export interface LintResult {
  findings: LintFinding[];
  /** Per migration, the SQL its up() really executed. */
  executed: Record<string, string[]>;
}

/** Where a migration class lives, by the naming convention `<timestamp>-<Name>.ts`. */
export function migrationFile(name: string): string {
  const match = /^(.*?)(\d{13})$/.exec(name);
  return match ? `libs/tenant-schema/src/migrations/${match[2]}-${match[1]}.ts` : `libs/tenant-schema/src/migrations (${name})`;
}

/** A query runner that runs everything it is given and remembers the SQL, whichever QueryRunner method produced it. */
function recording(runner: QueryRunner, executed: string[]): QueryRunner {
  return new Proxy(runner, {
    get(target, property, receiver) {
      if (property === 'query') {
        return (sql: string, parameters?: unknown[], structured?: boolean) => {
          executed.push(sql);
          return target.query(sql, parameters, structured as never);
        };
      }
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
}

/**
 * Runs every migration, in order, on a scratch database and checks the SQL each one really
 * executed (not a guess from its source): an expand migration must not contain a destructive
 * statement. The scratch database is dropped afterwards.
 */
export async function lintMigrations(serverUrl: string, migrations: Array<new () => TenantMigration>): Promise<LintResult> {
  const scratch = `tenantry_lint_${randomBytes(4).toString('hex')}`;
  const maintenance = new Client({ connectionString: serverUrl });
  await maintenance.connect();
  await maintenance.query(`CREATE DATABASE ${scratch}`);
  const url = new URL(serverUrl);
  url.pathname = `/${scratch}`;
  const dataSource = new DataSource({ type: 'postgres', url: url.toString(), synchronize: false, logging: false });
  const result: LintResult = { findings: [], executed: {} };
  try {
    await dataSource.initialize();
    for (const Migration of migrations) {
      const migration = new Migration();
      const executed: string[] = [];
      const runner = dataSource.createQueryRunner();
      try {
        await runner.startTransaction();
        await migration.up(recording(runner, executed));
        await runner.commitTransaction();
      } finally {
        if (runner.isTransactionActive) await runner.rollbackTransaction();
        await runner.release();
      }
      result.executed[Migration.name] = executed;
      if (migration.phase !== 'expand') continue;
      for (const finding of destructiveStatements(executed)) {
        result.findings.push({ migration: Migration.name, file: migrationFile(Migration.name), ...finding });
      }
    }
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await maintenance.query(`DROP DATABASE IF EXISTS ${scratch} WITH (FORCE)`);
    await maintenance.end();
  }
  return result;
}
