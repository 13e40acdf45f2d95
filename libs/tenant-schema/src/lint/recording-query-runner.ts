import { DataSource, type QueryRunner, QueryResult } from 'typeorm';
import type { TenantDialect } from '../tenant-dialect';

/**
 * A QueryRunner that remembers every SQL text it is given, whichever QueryRunner method produced
 * it (helpers call query() on the proxy too). With `forward` it runs them; without, it answers
 * every one with no rows, for a dialect that has no server to run on.
 */
export function recordingRunner(runner: QueryRunner, executed: string[], forward: boolean): QueryRunner {
  return new Proxy(runner, {
    get(target, property, receiver) {
      if (property === 'query') {
        return (sql: string, parameters?: unknown[], structured?: boolean) => {
          executed.push(sql);
          if (forward) return target.query(sql, parameters, structured as never);
          return Promise.resolve(structured ? Object.assign(new QueryResult(), { records: [], raw: [] }) : []);
        };
      }
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
}

/** The real QueryRunner of the dialect's driver, never connected: it keeps every SQL text and sends none. */
export function serverlessRunner(dialect: TenantDialect, executed: string[]): QueryRunner {
  const dataSource = new DataSource(dialect === 'postgres' ? { type: 'postgres' } : { type: 'mssql', host: 'no-server.invalid' });
  return recordingRunner(dataSource.createQueryRunner(), executed, false);
}
