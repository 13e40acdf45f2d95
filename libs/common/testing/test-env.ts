import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import Redis from 'ioredis';
import { loadConfig, type AppConfig, type RawEnv } from '../src';

const BASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The opt-in SQL Server of the tests (docker-compose's, say); undefined when MSSQL_URL is unset or empty. */
export const TEST_MSSQL_URL = process.env.MSSQL_URL || undefined;

/**
 * One isolated world per test file: its own admin database, its own env suffix in every tenant
 * database and role name, its own Redis key and queue prefixes. `cleanup()` removes all of it.
 */
export interface TestEnv {
  /** Short unique label, also the TENANTRY_ENV, so tenant databases are `tenant_<code>_<label>`. */
  label: string;
  config: AppConfig;
  rawEnv: RawEnv;
  /** Runs SQL on the server as the superuser, against `database` (default: postgres). */
  sql<T extends Record<string, unknown> = Record<string, unknown>>(text: string, params?: unknown[], database?: string): Promise<T[]>;
  redis(): Redis;
  cleanup(): Promise<void>;
}

export function createTestEnv(overrides: RawEnv = {}): TestEnv {
  const label = `t${randomBytes(4).toString('hex')}`;
  const rawEnv: RawEnv = {
    TENANTRY_ENV: label,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATABASE_URL: BASE_URL,
    ADMIN_DB_NAME: `tenantry_admin_${label}`,
    REDIS_URL,
    REDIS_KEY_PREFIX: `${label}:`,
    QUEUE_PREFIX: `q${label}`,
    SECRETS_KEY: randomBytes(32).toString('base64'),
    TENANT_POOL_NAME: `pool-${label}`,
    WORKER_METRICS_PORT: '0',
    ...overrides,
  };
  const config = loadConfig(rawEnv);
  const clients: Redis[] = [];

  async function sql<T extends Record<string, unknown>>(text: string, params: unknown[] = [], database = 'postgres'): Promise<T[]> {
    const url = new URL(BASE_URL);
    url.pathname = `/${database}`;
    const client = new Client({ connectionString: url.toString() });
    await client.connect();
    try {
      return (await client.query(text, params)).rows as T[];
    } finally {
      await client.end();
    }
  }

  return {
    label,
    config,
    rawEnv,
    sql,
    redis() {
      const client = new Redis(config.redis.url, { lazyConnect: false, maxRetriesPerRequest: 1 });
      clients.push(client);
      return client;
    },
    async cleanup() {
      const databases = await sql<{ datname: string }>(
        `SELECT datname FROM pg_database WHERE datname LIKE $1 OR datname = $2`,
        [`%\\_${label}%`, config.adminDb.name],
      );
      for (const { datname } of databases) {
        await sql(`ALTER DATABASE "${datname}" WITH IS_TEMPLATE false`);
        await sql(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
      }
      const roles = await sql<{ rolname: string }>(`SELECT rolname FROM pg_roles WHERE rolname LIKE $1`, [`%\\_${label}%`]);
      for (const { rolname } of roles) {
        await sql(`DROP ROLE IF EXISTS "${rolname}"`);
      }
      const redis = new Redis(config.redis.url, { maxRetriesPerRequest: 1 });
      try {
        for (const pattern of [`${label}:*`, `q${label}:*`]) {
          let cursor = '0';
          do {
            const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
            cursor = next;
            if (keys.length > 0) await redis.del(...keys);
          } while (cursor !== '0');
        }
      } finally {
        redis.disconnect();
        for (const client of clients) client.disconnect();
      }
    },
  };
}

/** The environment for a child process under test: this process's (PATH and the like) with `overrides` on top. */
export function childProcessEnv(overrides: RawEnv): NodeJS.ProcessEnv {
  return { ...process.env, ...overrides };
}
