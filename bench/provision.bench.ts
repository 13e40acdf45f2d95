import { LocalIssuer } from '@tenantry/dev-issuer';
import { adminDatabaseSettings, migrateRegistry } from '@tenantry/registry';
import { createTestEnv } from '@tenantry/common/testing';
import { closedLoop, machine, median, percentile, startApp, until, type Proc } from './bench-support';

// Provisions tenants through the admin API (HTTP), the BullMQ queue and two worker processes on the
// local PostgreSQL, three ways in one run: plain (CREATE DATABASE + migrations), template clone, warm spare.
const TENANTS = Number(process.env.BENCH_TENANTS ?? 100);
const UNLOADED = Number(process.env.BENCH_UNLOADED ?? 20);
const WARMUP = 5;
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 8);
const WORKERS = 2;
const WORKER_CONCURRENCY = 4;

type Mode = 'plain' | 'template' | 'warm';

interface ModeResult {
  mode: Mode;
  /** One tenant at a time: what a single onboarding waits for. */
  unloaded: number[];
  /** CLIENTS at once: latency under load, and the throughput. */
  latencies: number[];
  wallMs: number;
  paths: Record<string, number>;
}

async function runMode(mode: Mode, port: number): Promise<ModeResult> {
  const issuer = await LocalIssuer.start({ port: 0 });
  const env = createTestEnv({
    AUTH_ISSUER: issuer.issuer,
    LOG_LEVEL: 'warn',
    ADMIN_API_PORT: String(port),
    TEMPLATE_ENABLED: mode === 'plain' ? 'false' : 'true',
    WARM_POOL_SIZE: mode === 'warm' ? String(TENANTS + UNLOADED + WARMUP + 10) : '0',
    WORKER_CONCURRENCY: String(WORKER_CONCURRENCY),
    WORKER_METRICS_PORT: '0',
  });
  const procs: Proc[] = [];
  try {
    await migrateRegistry(env.settings(adminDatabaseSettings));
    procs.push(await startApp('dist/apps/admin-api/src/main.js', env.rawEnv, /admin-api listening/));
    for (let i = 0; i < WORKERS; i += 1) {
      procs.push(await startApp('dist/apps/provisioning-worker/src/main.js', env.rawEnv, /consuming tenant-operations/));
    }
    if (mode === 'template') {
      await until(async () => (await env.sql(`SELECT 1 FROM pg_database WHERE datistemplate AND datname LIKE $1`, [`tenantry\\_tpl\\_${env.label}\\_%`])).length === 1, 'the template');
    }
    if (mode === 'warm') {
      process.stdout.write(`  [warm] filling the pool with ${TENANTS + UNLOADED + WARMUP + 10} spares before measuring...\n`);
      await until(
        async () =>
          (await env.sql(`SELECT 1 FROM pg_database WHERE datname LIKE $1 AND datname !~ '_b$'`, [`tenantry\\_spare\\_${env.label}\\_%`]))
            .length >= TENANTS + UNLOADED + WARMUP,
        'the warm pool',
        600_000,
      );
    }
    const token = await issuer.mint({ sub: 'bench', roles: ['platform-admin'] }, { expiresInSeconds: 3600 });
    const api = `http://127.0.0.1:${port}`;
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

    const provision = async (code: string) => {
      const started = Date.now();
      const created = await fetch(`${api}/tenants`, { method: 'POST', headers, body: JSON.stringify({ code, name: code }) });
      if (created.status !== 202) throw new Error(`POST /tenants ${code}: ${created.status} ${await created.text()}`);
      const { operation } = (await created.json()) as { operation: { id: string } };
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        const polled = (await (await fetch(`${api}/operations/${operation.id}`, { headers })).json()) as {
          status: string;
          finishedAt: string;
          lastError: string;
          steps: Array<{ step: string; detail?: string }>;
        };
        if (polled.status === 'failed') throw new Error(`${code} failed: ${polled.lastError}`);
        // The latency ends when the worker finished (its timestamp), not when this client next polled.
        if (polled.status === 'succeeded') {
          const path = polled.steps.find((s) => s.step === 'create_database')?.detail ?? '?';
          return { latency: new Date(polled.finishedAt).getTime() - started, path };
        }
      }
    };

    await closedLoop(Array.from({ length: WARMUP }, (_, i) => `warmup_${mode}_${i}`), 2, provision);
    const unloaded = await closedLoop(Array.from({ length: UNLOADED }, (_, i) => `single_${mode}_${i}`), 1, provision);
    const started = Date.now();
    const results = await closedLoop(Array.from({ length: TENANTS }, (_, i) => `bench_${mode}_${i}`), CLIENTS, provision);
    const wallMs = Date.now() - started;
    const paths: Record<string, number> = {};
    for (const { path } of results) paths[path] = (paths[path] ?? 0) + 1;
    return { mode, unloaded: unloaded.map((r) => r.latency), latencies: results.map((r) => r.latency), wallMs, paths };
  } finally {
    for (const proc of procs.reverse()) await proc.stop();
    await issuer.stop();
    process.stdout.write(`  [${mode}] cleaning up ${TENANTS + UNLOADED + WARMUP} tenant databases...\n`);
    await env.cleanup();
  }
}

async function main(): Promise<void> {
  const [pgVersion] = await createTestEnv().sql<{ server_version: string }>('SHOW server_version');
  process.stdout.write(
    `bench:provision: ${TENANTS} tenants per mode (+${WARMUP} warm-up), POST /tenants -> operation succeeded, ` +
      `${CLIENTS} concurrent clients (closed loop), ${WORKERS} worker processes x concurrency ${WORKER_CONCURRENCY}\n` +
      `machine: ${machine()}, PostgreSQL ${pgVersion.server_version} on loopback\n\n`,
  );
  const results: ModeResult[] = [];
  for (const [index, mode] of (['plain', 'template', 'warm'] as Mode[]).entries()) {
    process.stdout.write(`running ${mode}...\n`);
    results.push(await runMode(mode, 39_100 + index));
  }
  const rows = results.map((r) => ({
    mode: r.mode,
    single50: median(r.unloaded),
    single95: percentile(r.unloaded, 95),
    p50: median(r.latencies),
    p95: percentile(r.latencies, 95),
    perSecond: (r.latencies.length / r.wallMs) * 1000,
    wall: r.wallMs / 1000,
    paths: Object.entries(r.paths)
      .map(([path, n]) => `${path}:${n}`)
      .join(' '),
  }));
  process.stdout.write(
    `\n           one at a time (${UNLOADED})   ${CLIENTS} at once (${TENANTS})\n` +
      'mode       p50 ms   p95 ms     p50 ms   p95 ms   tenants/s   wall s   creation paths\n',
  );
  for (const row of rows) {
    process.stdout.write(
      `${row.mode.padEnd(9)} ${String(row.single50).padStart(7)} ${String(row.single95).padStart(8)}   ${String(row.p50).padStart(8)} ${String(
        row.p95,
      ).padStart(8)} ${row.perSecond.toFixed(1).padStart(11)} ${row.wall.toFixed(1).padStart(8)}   ${row.paths}\n`,
    );
  }
  const [plain, template, warm] = rows;
  process.stdout.write(
    `\nratio template/plain: p50 one at a time ${(template.single50 / plain.single50).toFixed(2)}, p50 under load ${(template.p50 / plain.p50).toFixed(2)}, ` +
      `throughput ${(template.perSecond / plain.perSecond).toFixed(2)}x; warm/plain p50 one at a time ${(warm.single50 / plain.single50).toFixed(2)}\n` +
      `targets: template p50 < 250 ms: ${template.single50 < 250 ? 'met' : 'MISSED'} one at a time (${template.single50}), ` +
      `${template.p50 < 250 ? 'met' : 'MISSED'} under load (${template.p50}); ` +
      `warm p50 < 60 ms: ${warm.single50 < 60 ? 'met' : 'MISSED'} one at a time (${warm.single50}), ${warm.p50 < 60 ? 'met' : 'MISSED'} under load (${warm.p50}); ` +
      `${TENANTS} tenants < 20 s: ${rows.map((r) => `${r.mode} ${r.wall.toFixed(1)} s`).join(', ')}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
