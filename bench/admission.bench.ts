import { createTestEnv } from '@tenantry/common/testing';
import { LocalIssuer } from '@tenantry/dev-issuer';
import { adminDatabaseSettings, configuredPoolSettings, migrateRegistry, registrySettings } from '@tenantry/registry';
import { loadavg } from 'node:os';
import { closedLoop, machine, median, percentile, startApp, type Proc } from './bench-support';

// Admissions (POST /tenants -> 202) through the built admin API over HTTP, with no worker running:
// what is measured is the API taking tenants in, not provisioning them. Each round runs, in order:
// a single client one admission at a time (the baseline), then CLIENTS clients at once (closed loop)
// letting placement choose among the shared pools, then CLIENTS clients naming the POOLS pools in turn.
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 200);
const ADMISSIONS = Number(process.env.BENCH_ADMISSIONS ?? 1000);
const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 100);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const POOLS = 10;

type Phase = 'sequential' | 'automatic' | 'named';

interface Answer {
  status: number;
  retryAfter: boolean;
  ms: number;
}

interface PhaseResult {
  phase: Phase;
  answers: Answer[];
  wallMs: number;
  /** GET /health statuses sampled every 100 ms while the phase ran. */
  health: number[];
  /** The most requests /health saw waiting for a registry connection (undefined: it does not say). */
  mostWaiting?: number;
}

const accepted = (result: PhaseResult) => result.answers.filter((a) => a.status === 202).length;
const perSecond = (result: PhaseResult) => (accepted(result) / result.wallMs) * 1000;

function statusCounts(answers: Answer[]): string {
  const counts = new Map<string, number>();
  for (const { status, retryAfter } of answers) {
    const key = status === 503 ? (retryAfter ? '503+Retry-After' : '503 without Retry-After') : String(status);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, n]) => `${status}:${n}`)
    .join(' ');
}

function healthCounts(statuses: number[]): string {
  const counts = new Map<number, number>();
  for (const status of statuses) counts.set(status, (counts.get(status) ?? 0) + 1);
  return [...counts.entries()].map(([status, n]) => `${status || 'no answer'}:${n}`).join(' ');
}

async function main(): Promise<void> {
  const issuer = await LocalIssuer.start({ port: 0 });
  const env = createTestEnv({
    AUTH_ISSUER: issuer.issuer,
    LOG_LEVEL: 'warn',
    ADMIN_API_PORT: '0',
    TENANT_POOL_MAX_DATABASES: '100000',
    // Eleven pools of 100,000 on the configured server: its limit must hold them all.
    TENANT_PG_MAX_DATABASES: '2000000',
    // The registry pool under test: the deployment defaults unless set for this run.
    ADMIN_DB_POOL_SIZE: process.env.ADMIN_DB_POOL_SIZE,
    ADMIN_DB_CONNECTION_WAIT_MS: process.env.ADMIN_DB_CONNECTION_WAIT_MS,
  });
  const [pgVersion] = await env.sql<{ server_version: string }>('SHOW server_version');
  const { connections } = env.settings(registrySettings);
  process.stdout.write(
    `bench:admission: POST /tenants -> 202 through the built admin API (no worker), ${ROUNDS} rounds of: ` +
      `${SEQUENTIAL} one at a time (baseline), ${ADMISSIONS} with ${CLIENTS} concurrent clients (closed loop) placed automatically ` +
      `over ${POOLS + 1} shared pools, ${ADMISSIONS} with ${CLIENTS} clients naming ${POOLS} pools in turn\n` +
      `registry pool: ${connections.poolSize} connections, ${connections.waitMs} ms wait; ` +
      `machine: ${machine()}, PostgreSQL ${pgVersion.server_version} on loopback; load average before: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}\n\n`,
  );
  let api: Proc | undefined;
  try {
    await migrateRegistry(env.settings(adminDatabaseSettings));
    api = await startApp('dist/apps/admin-api/src/main.js', env.rawEnv, /admin-api listening on (http:\/\/\S+) /);
    const token = await issuer.mint({ sub: 'bench', roles: ['platform-admin'] }, { expiresInSeconds: 3600 });
    const [, base] = await api.ready;
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const { host, port } = env.settings(configuredPoolSettings);
    const pools = Array.from({ length: POOLS }, (_, i) => `bench-${i}`);
    for (const name of pools) {
      const registered = await fetch(`${base}/pools/${name}`, {
        method: 'PUT',
        headers,
        body: JSON.stringify({ engine: 'postgres', host, port, maxDatabases: 100_000 }),
      });
      if (registered.status !== 200) throw new Error(`PUT /pools/${name}: ${registered.status} ${await registered.text()}`);
    }

    const admit = async ({ code, pool }: { code: string; pool?: string }): Promise<Answer> => {
      const started = performance.now();
      const answer = await fetch(`${base}/tenants`, { method: 'POST', headers, body: JSON.stringify({ code, name: code, pool }) });
      await answer.arrayBuffer();
      return { status: answer.status, retryAfter: answer.headers.has('retry-after'), ms: performance.now() - started };
    };
    const run = async (phase: Phase, round: number, count: number, clients: number): Promise<PhaseResult> => {
      const items = Array.from({ length: count }, (_, i) => ({
        code: `r${round}_${phase}_${i}`,
        pool: phase === 'named' ? pools[i % POOLS] : undefined,
      }));
      const health: number[] = [];
      let mostWaiting: number | undefined;
      let running = true;
      const sampler = (async () => {
        while (running) {
          const answer: { status: number; body: { registryPool?: { waiting: number } } } = await fetch(`${base}/health`).then(
            async (r) => ({ status: r.status, body: (await r.json()) as { registryPool?: { waiting: number } } }),
            () => ({ status: 0, body: {} }),
          );
          health.push(answer.status);
          if (answer.body.registryPool) mostWaiting = Math.max(mostWaiting ?? 0, answer.body.registryPool.waiting);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      })();
      const started = performance.now();
      const answers = await closedLoop(items, clients, admit);
      const wallMs = performance.now() - started;
      running = false;
      await sampler;
      return { phase, answers, wallMs, health, mostWaiting };
    };

    await run('sequential', 0, 20, 1);
    const results: PhaseResult[] = [];
    for (let round = 1; round <= ROUNDS; round += 1) {
      const phases = [await run('sequential', round, SEQUENTIAL, 1), await run('automatic', round, ADMISSIONS, CLIENTS), await run('named', round, ADMISSIONS, CLIENTS)];
      for (const result of phases) {
        process.stdout.write(
          `round ${round} ${result.phase.padEnd(10)} ${perSecond(result).toFixed(1).padStart(7)} admissions/s, p50 ${median(result.answers.map((a) => a.ms)).toFixed(0)} ms, ` +
            `${statusCounts(result.answers)}; /health ${healthCounts(result.health)}` +
            `${result.mostWaiting === undefined ? '' : `, at most ${result.mostWaiting} waiting for a registry connection`}\n`,
        );
      }
      results.push(...phases);
    }

    const [orphans] = await env.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM tenants t WHERE NOT EXISTS (SELECT 1 FROM operations o WHERE o.tenant_id = t.id AND o.kind = 'provision')`,
      [],
      env.adminDatabase,
    );

    process.stdout.write(`\nphase (all rounds)  requests   p50 ms   p95 ms   admissions/s (median of rounds)   statuses; /health while it ran\n`);
    const summary = new Map<Phase, number>();
    for (const phase of ['sequential', 'automatic', 'named'] as Phase[]) {
      const rounds = results.filter((r) => r.phase === phase);
      const answers = rounds.flatMap((r) => r.answers);
      const rate = median(rounds.map(perSecond));
      summary.set(phase, rate);
      const latencies = answers.map((a) => a.ms);
      process.stdout.write(
        `${(phase === 'sequential' ? 'sequential x1' : `${phase} x${CLIENTS}`).padEnd(19)} ${String(answers.length).padStart(8)} ` +
          `${median(latencies).toFixed(0).padStart(8)} ${percentile(latencies, 95).toFixed(0).padStart(8)} ${rate.toFixed(1).padStart(14)}` +
          `${''.padStart(20)} ${statusCounts(answers)}; /health ${healthCounts(rounds.flatMap((r) => r.health))}\n`,
      );
    }
    const baseline = summary.get('sequential') ?? 0;
    process.stdout.write(
      `\nratio against one client in the same run: automatic x${CLIENTS} ${((summary.get('automatic') ?? 0) / baseline).toFixed(2)}x, ` +
        `named x${CLIENTS} ${((summary.get('named') ?? 0) / baseline).toFixed(2)}x\n` +
        `tenants without their provisioning operation: ${orphans.n}\n` +
        `load average after: ${loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}\n`,
    );
  } finally {
    await api?.stop();
    await issuer.stop();
    await env.cleanup();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
