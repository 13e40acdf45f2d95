import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { loadSettings, redisSettings, surviveConnectionErrors, type RawEnv, type Settings } from '../src';

const BASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The test Redis server (REDIS_URL's) on logical database `database`, for a test that empties a whole database. */
export function testRedisUrl(database: number): string {
  const url = new URL(REDIS_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

/** The opt-in SQL Server of the tests (docker-compose's, say); undefined when MSSQL_URL is unset or empty. */
export const TEST_MSSQL_URL = process.env.MSSQL_URL || undefined;

/**
 * One isolated world per test file: its own admin database, its own env suffix in every tenant
 * database and role name, its own Redis key and queue prefixes. `cleanup()` removes all of it.
 */
export interface TestEnv {
  /** Short unique label, also the TENANTRY_ENV, so tenant databases are `tenant_<code>_<label>`. */
  label: string;
  rawEnv: RawEnv;
  /** What a process would read from this env: `settings` of a lib, or a process's combination of them. */
  settings<T>(settings: Settings<T>): T;
  /** The name of this env's admin database (the registry), on the server `DATABASE_URL` names. */
  adminDatabase: string;
  /** The superuser URL of `database` on the test server (DATABASE_URL's, whatever its host and port). */
  databaseUrl(database: string): string;
  /** Runs SQL on the server (the one `DATABASE_URL` names) as the superuser, against `database` (default: postgres). */
  sql<T extends Record<string, unknown> = Record<string, unknown>>(text: string, params?: unknown[], database?: string): Promise<T[]>;
  redis(): Redis;
  cleanup(): Promise<void>;
}

export function createTestEnv(overrides: RawEnv = {}): TestEnv {
  const label = `t${randomBytes(4).toString('hex')}`;
  const rawEnv: RawEnv = {
    TENANTRY_ENV: label,
    // Tests trust a local issuer; a test that checks audiences sets AUTH_AUDIENCES / AUTH_CLIENTS itself.
    TENANTRY_MODE: 'development',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATABASE_URL: BASE_URL,
    ADMIN_DB_NAME: `tenantry_admin_${label}`,
    REDIS_URL,
    REDIS_KEY_PREFIX: `${label}:`,
    QUEUE_PREFIX: `q${label}`,
    SECRETS_KEY: randomBytes(32).toString('base64'),
    TENANT_POOL_NAME: `pool-${label}`,
    WORKER_METRICS_PORT: '0',
    // Offboarding takes a backup: each test's go to a directory of its own, removed with the rest.
    BACKUP_DIR: join(tmpdir(), `tenantry-backups-${label}`),
    ...overrides,
  };
  const settings = <T>(of: Settings<T>) => loadSettings(of, rawEnv);
  const adminDatabase = rawEnv.ADMIN_DB_NAME ?? 'tenantry_admin';
  const redisUrl = settings(redisSettings).url;
  const clients: Redis[] = [];

  const serverUrl = rawEnv.DATABASE_URL ?? BASE_URL;

  function databaseUrl(database: string): string {
    const url = new URL(serverUrl);
    url.pathname = `/${database}`;
    return url.toString();
  }

  const sql = <T extends Record<string, unknown>>(text: string, params: unknown[] = [], database = 'postgres') => sqlOnServer<T>(serverUrl, database, text, params);

  return {
    label,
    rawEnv,
    settings,
    adminDatabase,
    databaseUrl,
    sql,
    redis() {
      const client = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 1 });
      clients.push(client);
      return client;
    },
    async cleanup() {
      // One connection for it all: a file that made dozens of tenants would otherwise open two per database.
      const admin = new Client({ connectionString: databaseUrl('postgres') });
      surviveConnectionErrors(admin, 'test cleanup');
      await admin.connect();
      try {
        const databases = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1 OR datname = $2`, [
          `%\\_${label}%`,
          adminDatabase,
        ]);
        for (const { datname } of databases.rows) {
          await admin.query(`ALTER DATABASE "${datname}" WITH IS_TEMPLATE false`);
          await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
        }
        const roles = await admin.query<{ rolname: string }>(`SELECT rolname FROM pg_roles WHERE rolname LIKE $1`, [`%\\_${label}%`]);
        if (roles.rows.length > 0) {
          const names = roles.rows.map(({ rolname }) => `"${rolname}"`).join(', ');
          // Also revokes what a role was granted on the server's shared objects (CONNECT on a database), which DROP ROLE would trip on.
          await admin.query(`DROP OWNED BY ${names}`);
          await admin.query(`DROP ROLE IF EXISTS ${names}`);
        }
      } finally {
        await admin.end();
      }
      await rm(join(tmpdir(), `tenantry-backups-${label}`), { recursive: true, force: true });
      const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
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

/** Runs one statement in its own session on `database` of the server `serverUrl` names. */
export async function sqlOnServer<T extends Record<string, unknown>>(serverUrl: string, database: string, text: string, params: unknown[] = []): Promise<T[]> {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  const client = new Client({ connectionString: url.toString() });
  surviveConnectionErrors(client, 'test session');
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** The environment for a child process under test: this process's (PATH and the like) with `overrides` on top. */
export function childProcessEnv(overrides: RawEnv): NodeJS.ProcessEnv {
  return { ...process.env, ...overrides };
}
