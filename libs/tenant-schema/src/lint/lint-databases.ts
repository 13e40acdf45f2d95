import { surviveConnectionErrors } from '@tenantry/common';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource, type QueryRunner } from 'typeorm';
import { createScratchSqlServerDatabase } from '../sql-server-connection';
import type { TenantDialect } from '../tenant-dialect';
import { recordingRunner, serverlessRunner } from './recording-query-runner';

/** executed: on a scratch database of a real server; recorded: sent to a QueryRunner of that dialect with no server behind it. */
export type LintMode = 'executed' | 'recorded';

/** Where the lint runs the migrations of one dialect. */
export interface LintDatabase {
  dialect: TenantDialect;
  mode: LintMode;
  /** Says where, for the report: the scratch database or that there is no server. */
  where: string;
  /** Runs `work` on a QueryRunner (one transaction when executed) and returns every SQL text it sent. */
  record(work: (q: QueryRunner) => Promise<void>): Promise<string[]>;
  close(): Promise<void>;
}

const scratchName = () => `tenantry_lint_${randomBytes(4).toString('hex')}`;

async function inTransaction(dataSource: DataSource, work: (q: QueryRunner) => Promise<void>): Promise<string[]> {
  const executed: string[] = [];
  const runner = dataSource.createQueryRunner();
  try {
    await runner.startTransaction();
    await work(recordingRunner(runner, executed, true));
    await runner.commitTransaction();
  } finally {
    if (runner.isTransactionActive) await runner.rollbackTransaction();
    await runner.release();
  }
  return executed;
}

/** A scratch database on the PostgreSQL server of `serverUrl`, dropped on close. */
export async function postgresScratch(serverUrl: string): Promise<LintDatabase> {
  const scratch = scratchName();
  const maintenance = new Client({ connectionString: serverUrl });
  surviveConnectionErrors(maintenance, 'lint maintenance session');
  await maintenance.connect();
  const url = new URL(serverUrl);
  url.pathname = `/${scratch}`;
  const dataSource = new DataSource({ type: 'postgres', url: url.toString(), synchronize: false, logging: false });
  const close = async () => {
    if (dataSource.isInitialized) await dataSource.destroy();
    await maintenance.query(`DROP DATABASE IF EXISTS ${scratch} WITH (FORCE)`);
    await maintenance.end();
  };
  try {
    await maintenance.query(`CREATE DATABASE ${scratch}`);
    await dataSource.initialize();
  } catch (error) {
    await close();
    throw error;
  }
  return { dialect: 'postgres', mode: 'executed', where: `scratch database ${scratch} on ${url.host}`, record: (work) => inTransaction(dataSource, work), close };
}

/** A scratch database on the SQL Server of `serverUrl` (MSSQL_URL), dropped on close. */
export async function sqlServerScratch(serverUrl: string): Promise<LintDatabase> {
  const name = scratchName();
  const scratch = await createScratchSqlServerDatabase(serverUrl, name);
  const dataSource = new DataSource({ ...scratch.connection, synchronize: false, logging: false });
  const close = async () => {
    if (dataSource.isInitialized) await dataSource.destroy();
    await scratch.drop();
  };
  try {
    await dataSource.initialize();
  } catch (error) {
    await close();
    throw error;
  }
  return {
    dialect: 'mssql',
    mode: 'executed',
    where: `scratch database ${name} on ${scratch.connection.host}:${scratch.connection.port}`,
    record: (work) => inTransaction(dataSource, work),
    close,
  };
}

/**
 * No SQL Server: an mssql QueryRunner whose queries go nowhere, so the T-SQL the migrations send
 * (their own and what TypeORM's helpers generate) is still checked, though never run. A helper
 * that must read the schema first finds nothing there and fails: that needs a real server.
 */
export function sqlServerRecorder(): LintDatabase {
  return {
    dialect: 'mssql',
    mode: 'recorded',
    where: 'an mssql QueryRunner without a server (MSSQL_URL unset), nothing run',
    async record(work) {
      const executed: string[] = [];
      try {
        await work(serverlessRunner('mssql', executed));
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        throw new Error(`${message} (recorded without a SQL Server: set MSSQL_URL to run the migrations on a scratch database)`, { cause: error });
      }
      return executed;
    },
    close: async () => {},
  };
}
