import { handleAll, retry } from 'cockatiel';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { claimForThisProcess, reapOrphans } from './orphans';
import { sqlOnServer } from './test-env';
import { asRoot, freePort } from './throwaway-postgres';
import { waitFor } from './wait-for';

/**
 * The one renderer (and template) scripts/services.sh and docker-compose use too, so tests run the
 * pooler configuration npm start runs; looked for upwards, as this file also runs compiled
 * (dist-bench/libs/common/testing).
 */
function renderer(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'scripts', 'pgbouncer', 'render.sh');
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`scripts/pgbouncer/render.sh not found above ${__dirname}`);
}

export const POOLER_ADMIN_USER = 'tenantry_pooler_admin';

/**
 * A PgBouncer of a test's own in front of `serverUrl`'s server, on a free port, so that no test
 * depends on a pooler of the machine (scripts/services.sh starts that one for npm start).
 */
export interface ThrowawayPgBouncer {
  port: number;
  /** postgres://127.0.0.1:<port>: where business services reach tenant databases (TENANCY_PG_POOLER_URL). */
  url: string;
  /** The admin console (TENANT_PG_POOLER_ADMIN_URL). */
  adminUrl: string;
  /** Its auth_file: the console's account only, never a tenant login. */
  authFile: string;
  /** Its directory (configuration, pid file, log), removed by cleanup() or, once its test process is gone, by the next pooler started. */
  dir: string;
  /** A console command (SHOW POOLS, SHOW SERVERS, ...) and its rows. */
  console<T extends Record<string, unknown> = Record<string, unknown>>(command: string): Promise<T[]>;
  /** Settings this pooler was given, as TENANCY_PG_POOLER_URL and TENANT_PG_POOLER_ADMIN_URL. */
  env: { TENANCY_PG_POOLER_URL: string; TENANT_PG_POOLER_ADMIN_URL: string };
  cleanup(): Promise<void>;
}

export interface ThrowawayPgBouncerOptions {
  poolSize?: number;
  maxClientConn?: number;
  serverIdleTimeoutSeconds?: number;
  /** How long a tenant database's pool outlives its last use (the template's default: 300 s). */
  autodbIdleTimeoutSeconds?: number;
}

function pgbouncerBinary(): string {
  const found = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'].find((path) => existsSync(path));
  if (!found) throw new Error('pgbouncer is not installed here (Debian: apt-get install pgbouncer; scripts/services.sh installs it)');
  return found;
}

/** pgbouncer.ini for `values` (render.sh's PGBOUNCER_* names, without the prefix); nothing else of this process's environment reaches it. */
export function renderPgBouncerConfig(values: Record<string, string>): string {
  const env = Object.fromEntries(Object.entries(values).map(([name, value]) => [`PGBOUNCER_${name}`, value]));
  return execFileSync('bash', [renderer()], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });
}

const PREFIX = 'tenantry-pgbouncer-';

/** Stops an orphaned pooler by the pid file it wrote, if that process is still a PgBouncer (pids are reused). */
function stopOrphan(dir: string): void {
  const pidFile = join(dir, 'pgbouncer.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  const comm = `/proc/${pid}/comm`;
  if (!Number.isInteger(pid) || !existsSync(comm) || readFileSync(comm, 'utf8').trim() !== 'pgbouncer') return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone meanwhile
  }
}

export async function startThrowawayPgBouncer(serverUrl: string, options: ThrowawayPgBouncerOptions = {}): Promise<ThrowawayPgBouncer> {
  const binary = pgbouncerBinary();
  reapOrphans(PREFIX, stopOrphan);
  const server = new URL(serverUrl);
  const dir = mkdtempSync(join(tmpdir(), PREFIX));
  claimForThisProcess(dir);
  // PgBouncer refuses to run as root: as root it runs as the postgres user, which must read its files.
  const handOver = (path: string) => asRoot && execFileSync('chown', ['postgres:postgres', path]);
  handOver(dir);
  const adminPassword = randomBytes(12).toString('hex');
  const userlist = join(dir, 'userlist.txt');
  writeFileSync(userlist, `"${POOLER_ADMIN_USER}" "${adminPassword}"\n`, { mode: 0o600 });
  handOver(userlist);

  let child: ChildProcess | undefined;
  const stopOnExit = () => child?.kill('SIGKILL');
  process.once('exit', stopOnExit);
  const pooler: ThrowawayPgBouncer = {
    port: 0,
    url: '',
    adminUrl: '',
    authFile: userlist,
    dir,
    env: { TENANCY_PG_POOLER_URL: '', TENANT_PG_POOLER_ADMIN_URL: '' },
    // No parameters: the console speaks only the simple query protocol.
    console: <T extends Record<string, unknown>>(command: string) => sqlOnServer<T>(pooler.adminUrl, 'pgbouncer', command),
    async cleanup() {
      process.removeListener('exit', stopOnExit);
      const running = child;
      if (running && running.exitCode === null && running.signalCode === null) {
        const exited = new Promise((done) => running.once('exit', done));
        running.kill('SIGINT');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };

  const start = async () => {
    pooler.port = await freePort();
    const ini = join(dir, 'pgbouncer.ini');
    writeFileSync(
      ini,
      renderPgBouncerConfig({
        SERVER_HOST: server.hostname,
        SERVER_PORT: server.port || '5432',
        PORT: String(pooler.port),
        DIR: dir,
        MAX_CLIENT_CONN: String(options.maxClientConn ?? 500),
        POOL_SIZE: String(options.poolSize ?? 5),
        SERVER_IDLE_TIMEOUT: String(options.serverIdleTimeoutSeconds ?? 30),
        AUTODB_IDLE_TIMEOUT: String(options.autodbIdleTimeoutSeconds ?? 300),
      }),
    );
    handOver(ini);
    const args = asRoot ? ['-u', 'postgres', ini] : [ini];
    const started = spawn(binary, args, { stdio: 'ignore' });
    child = started;
    await waitFor(async () => {
      if (started.exitCode !== null) throw new Error(`pgbouncer exited with ${started.exitCode}: ${readLog(dir)}`);
      return reachable(pooler.port);
    }, 15_000);
  };
  try {
    // The free port may be taken between the probe and the start: another port, three tries in all.
    await retry(handleAll, { maxAttempts: 2 }).execute(start);
  } catch (error) {
    await pooler.cleanup();
    throw error;
  }
  pooler.url = `postgres://127.0.0.1:${pooler.port}`;
  pooler.adminUrl = `postgres://${POOLER_ADMIN_USER}:${adminPassword}@127.0.0.1:${pooler.port}/pgbouncer`;
  pooler.env = { TENANCY_PG_POOLER_URL: pooler.url, TENANT_PG_POOLER_ADMIN_URL: pooler.adminUrl };
  return pooler;
}

function readLog(dir: string): string {
  const log = join(dir, 'pgbouncer.log');
  return existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-5).join(' | ') : '(no log)';
}

function reachable(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}
