import { handleAll, retry } from 'cockatiel';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { claimForThisProcess, reapOrphans } from './orphans';
import { sqlOnServer } from './test-env';

const run = promisify(execFile);

/**
 * A PostgreSQL server of a test's own, started from the machine's binaries on a free port, for
 * what the shared server must not be put through: restarts, outages, unusual settings, a second
 * or third server. `cleanup()` stops it and removes its data directory.
 */
export interface ThrowawayPostgres {
  port: number;
  /** Superuser URL of its `postgres` database (trust authentication on loopback). */
  url: string;
  dataDir: string;
  /** Runs SQL as the superuser, against `database` (default: postgres). */
  sql<T extends Record<string, unknown> = Record<string, unknown>>(text: string, params?: unknown[], database?: string): Promise<T[]>;
  /** Ends every other session (pg_terminate_backend), as an administrator or a failover would; returns how many. */
  terminateBackends(): Promise<number>;
  /** `pg_ctl restart -m fast`: open sessions end with 57P01, the server is back when this returns. */
  restart(): Promise<void>;
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  cleanup(): Promise<void>;
}

export interface ThrowawayPostgresOptions {
  maxConnections?: number;
  walLevel?: 'minimal' | 'replica' | 'logical';
  /** Any other postgresql.conf setting, e.g. `{ max_replication_slots: '4' }`. */
  settings?: Record<string, string>;
}

/** The newest PostgreSQL installed as Debian lays it out (/usr/lib/postgresql/<version>/bin). */
function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((version) => existsSync(join(root, version, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) throw new Error(`no PostgreSQL server binaries under ${root} (Debian: apt-get install postgresql)`);
  return join(root, versions[0], 'bin');
}

/** A port nothing listens on now (the caller still retries: it may be taken before it is used). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

// initdb refuses to run as root: as root, the server's files belong to the postgres user and its tools run as that user.
export const asRoot = process.getuid?.() === 0;

function command(tool: string, args: string[]): [string, string[]] {
  return asRoot ? ['runuser', ['-u', 'postgres', '--', tool, ...args]] : [tool, args];
}

const PREFIX = 'tenantry-pg-';

/** `pg_ctl stop -m immediate`, synchronously (it also runs in exit handlers); nothing when the server is not running. */
function stopAtOnce(bin: string, dataDir: string): void {
  const [file, argv] = command(join(bin, 'pg_ctl'), ['-D', dataDir, 'stop', '-m', 'immediate']);
  try {
    execFileSync(file, argv, { stdio: 'ignore' });
  } catch {
    // not running
  }
}

export async function startThrowawayPostgres(options: ThrowawayPostgresOptions = {}): Promise<ThrowawayPostgres> {
  const bin = binDir();
  reapOrphans(PREFIX, (dataDir) => stopAtOnce(bin, dataDir));
  const dataDir = mkdtempSync(join(tmpdir(), PREFIX));
  const handOver = (path: string) => asRoot && execFileSync('chown', ['postgres:postgres', path]);
  handOver(dataDir);
  const tool = (name: string, args: string[]) => {
    const [file, argv] = command(join(bin, name), args);
    return run(file, argv, { maxBuffer: 16 * 1024 * 1024 });
  };
  await tool('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  claimForThisProcess(dataDir);

  const autoConf = join(dataDir, 'postgresql.auto.conf');
  const configure = (port: number) => {
    const settings: Record<string, string> = {
      port: String(port),
      listen_addresses: "'127.0.0.1'",
      unix_socket_directories: "''",
      max_connections: String(options.maxConnections ?? 100),
      // logical by default: tenant moves between servers stream with logical replication.
      wal_level: options.walLevel ?? 'logical',
      // A throwaway server needs no durability: tests are faster without it.
      fsync: 'off',
      synchronous_commit: 'off',
      full_page_writes: 'off',
      ...(options.walLevel === 'minimal' ? { max_wal_senders: '0' } : {}),
      ...options.settings,
    };
    // postgresql.auto.conf is read last, so these win over initdb's postgresql.conf.
    writeFileSync(
      autoConf,
      Object.entries(settings)
        .map(([key, value]) => `${key} = ${value}\n`)
        .join(''),
    );
    handOver(autoConf);
  };

  const log = join(dataDir, 'server.log');
  const ctl = (args: string[]) => tool('pg_ctl', ['-D', dataDir, '-l', log, '-w', '-t', '60', ...args]);
  let running = false;
  // A server left running by a test process that died would hold its port and directory: stop it with the process.
  const stopOnExit = () => running && stopAtOnce(bin, dataDir);
  process.once('exit', stopOnExit);

  const server: ThrowawayPostgres = {
    port: 0,
    url: '',
    dataDir,
    sql: (text, params, database = 'postgres') => sqlOnServer(server.url, database, text, params),
    async terminateBackends() {
      const rows = await server.sql<{ ended: boolean }>(
        `SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'`,
      );
      return rows.filter((row) => row.ended).length;
    },
    async restart() {
      await ctl(['restart', '-m', 'fast']);
      running = true;
    },
    async stop(mode = 'fast') {
      await ctl(['stop', '-m', mode]);
      running = false;
    },
    async start() {
      await ctl(['start']);
      running = true;
    },
    async cleanup() {
      if (running) await server.stop('immediate');
      process.removeListener('exit', stopOnExit);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  // The free port may be taken between the probe and the start: another port, three tries in all.
  try {
    await retry(handleAll, { maxAttempts: 2 }).execute(async () => {
      server.port = await freePort();
      server.url = `postgres://postgres@127.0.0.1:${server.port}/postgres`;
      configure(server.port);
      await server.start();
    });
    return server;
  } catch (error) {
    await server.cleanup();
    throw error;
  }
}
