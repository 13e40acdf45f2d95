import { createTestEnv, type TestEnv } from '@tenantry/common/testing';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import { provisionTenant, tenantTarget } from '@tenantry/engines/testing';
import type { TenantDatabaseTarget } from '../tenant-database-engine';
import { PostgresEngine } from './postgres.engine';

/** The process whose arguments mention `needle`, as any user of the machine sees it in /proc (and ps). */
function processMentioning(needle: string): { pid: string; argv: string[]; environ: string[] } | undefined {
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (argv.some((arg) => arg.includes(needle))) return { pid, argv, environ: readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0') };
    } catch {
      // The process ended while it was read.
    }
  }
  return undefined;
}

describe('PostgresEngine exports (real pg_dump)', () => {
  const password = 'S3cr:et\\pw@/x';
  let env: TestEnv;
  let engine: PostgresEngine;
  let work: string;
  let exportDir: string;

  beforeAll(() => {
    env = createTestEnv();
    work = mkdtempSync(join(tmpdir(), 'tenantry-export-test-'));
    exportDir = join(work, 'exports');
    // The local server trusts loopback connections, so it takes any password: what matters is where the password travels.
    const url = new URL(env.databaseUrl('postgres'));
    url.password = encodeURIComponent(password);
    engine = new PostgresEngine({ adminUrl: url.toString(), exportDir });
  });

  afterAll(async () => {
    await engine?.close();
    await env?.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  async function tenant(code: string): Promise<TenantDatabaseTarget> {
    const target = tenantTarget(code, env.label, { engine: 'postgres', host: '127.0.0.1', port: 5432 });
    await provisionTenant(engine, target, 'tenant-pw');
    return target;
  }

  it('never puts the password in pg_dump’s arguments or environment: it reads it from a private password file, removed afterwards', async () => {
    const target = await tenant('dumped');
    // pg_dump waits for this lock, so it can be looked at while it runs.
    const tenantDatabase = new URL(env.databaseUrl('postgres'));
    tenantDatabase.pathname = `/${target.databaseName}`;
    const holder = new Client({ connectionString: tenantDatabase.toString() });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE orders IN ACCESS EXCLUSIVE MODE');
    const exported = engine.exportDatabase(target, 'dumped-1');
    let seen: ReturnType<typeof processMentioning>;
    let passfile: { path: string; content: string; mode: number; directoryMode: number } | undefined;
    try {
      const deadline = Date.now() + 20_000;
      while (!(seen = processMentioning('dumped-1.dump.partial')) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(seen).toBeDefined();
      const url = seen!.argv.find((arg) => arg.startsWith('postgres'))!;
      const path = new URL(url).searchParams.get('passfile');
      if (path) passfile = { path, content: readFileSync(path, 'utf8'), mode: statSync(path).mode & 0o777, directoryMode: statSync(dirname(path)).mode & 0o777 };
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    const file = await exported;

    expect(seen!.argv.join(' ')).not.toContain('S3cr');
    expect(seen!.environ.filter((variable) => variable.startsWith('PGPASSWORD='))).toEqual([]);
    expect(passfile).toMatchObject({ content: '*:*:*:*:S3cr\\:et\\\\pw@/x\n', mode: 0o600, directoryMode: 0o700 });
    expect(existsSync(dirname(passfile!.path))).toBe(false);
    // A real dump of the database came out of it.
    expect(execFileSync('pg_restore', ['--list', file]).toString()).toContain('TABLE public orders');
  });

  it('writes the dump 0600 in a 0700 directory, and closes a directory an earlier version left open', async () => {
    const target = await tenant('modes');
    chmodSync(exportDir, 0o755);
    const file = await engine.exportDatabase(target, 'modes-1');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(exportDir).mode & 0o777).toBe(0o700);
    // Exporting again finds the complete file and leaves it as it is.
    expect(await engine.exportDatabase(target, 'modes-1')).toBe(file);
    expect(existsSync(`${file}.partial`)).toBe(false);
  });
});
