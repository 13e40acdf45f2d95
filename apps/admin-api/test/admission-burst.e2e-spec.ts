import { surviveConnectionErrors } from '@tenantry/common';
import { createTestEnv, httpRequest, type BuiltApp, type TestEnv } from '@tenantry/common/testing';
import { LocalIssuer } from '@tenantry/dev-issuer';
import { adminDatabaseSettings, configuredPoolSettings, migrateRegistry } from '@tenantry/registry';
import { spawnAdminApi, spawnWorker, type WorkerProcess } from '@tenantry/test-support';
import { Client } from 'pg';

const SMALL_POOL = 10;

interface Answer {
  code: string;
  pool?: string;
  status: number;
  error?: string;
  message?: string;
  retryAfter?: string;
  operationId?: string;
}

/**
 * Onboarding bursts against the built admin API and a built worker: many admissions at once are
 * each answered 202, refused with a reason (a full pool: 422), or, when the API cannot take them
 * now, 503 with Retry-After; never another 5xx. Capacity holds, nothing is half made.
 */
describe('a burst of onboardings', () => {
  let issuer: LocalIssuer;
  let env: TestEnv;
  let api: BuiltApp;
  let worker: WorkerProcess;
  let base: string;
  let token: string;

  beforeAll(async () => {
    issuer = await LocalIssuer.start({ port: 0 });
    env = createTestEnv({
      AUTH_ISSUER: issuer.issuer,
      ADMIN_API_PORT: '0',
      TENANT_POOL_MAX_DATABASES: '1000',
      POOL_SLOT_LOCK_TIMEOUT_MS: '300',
      WORKER_CONCURRENCY: '8',
    });
    await migrateRegistry(env.settings(adminDatabaseSettings));
    api = spawnAdminApi(env.rawEnv);
    worker = spawnWorker(env.rawEnv);
    [, base] = await api.ready;
    await worker.ready;
    token = await issuer.mint({ sub: 'burst', preferred_username: 'burst', roles: ['platform-admin'] }, { expiresInSeconds: 3600 });
    const { host, port } = env.settings(configuredPoolSettings);
    for (const [name, maxDatabases] of [
      ['small', SMALL_POOL],
      ['hot', 100],
    ] as const) {
      const registered = await call('PUT', `/pools/${name}`, { engine: 'postgres', host, port, maxDatabases, dedicated: true });
      expect(registered.status).toBe(200);
    }
  }, 180_000);

  afterAll(async () => {
    await worker?.stop();
    await api?.stop();
    await issuer?.stop();
    await env?.cleanup();
  });

  async function call(method: string, path: string, body?: unknown) {
    const { status, text, headers } = await httpRequest(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status, body: text ? JSON.parse(text) : undefined, retryAfter: headers['retry-after'] };
  }

  async function onboard(code: string, pool?: string): Promise<Answer> {
    const { status, body, retryAfter } = await call('POST', '/tenants', { code, name: code, pool });
    return { code, pool, status, error: body?.error, message: body?.message, retryAfter, operationId: body?.operation?.id };
  }

  /** Every /health answer while `work` runs. */
  /**
   * The longest run of consecutive non-200 health answers. An orchestrator takes an instance out
   * after several in a row (Kubernetes: failureThreshold, 3 by default); on a machine loaded far
   * past its cores a single probe can outlast its own timeout, which is not the burst's doing.
   */
  const longestUnhealthyRun = (health: number[]) =>
    health.reduce(({ run, longest }, status) => (status === 200 ? { run: 0, longest } : { run: run + 1, longest: Math.max(longest, run + 1) }), { run: 0, longest: 0 })
      .longest;

  async function healthDuring<T>(work: () => Promise<T>): Promise<{ value: T; health: number[] }> {
    const health: number[] = [];
    let running = true;
    const sampler = (async () => {
      while (running) {
        health.push((await httpRequest(`${base}/health`)).status);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    try {
      return { value: await work(), health };
    } finally {
      running = false;
      await sampler;
    }
  }

  const sql = <T extends Record<string, unknown>>(text: string, params: unknown[] = []) => env.sql<T>(text, params, env.adminDatabase);

  function expectOnlyAllowedAnswers(answers: Answer[]): void {
    const unexpected = answers.filter((a) => !(a.status === 202 || (a.status === 422 && a.error === 'POOL_CAPACITY_EXHAUSTED') || (a.status === 503 && a.retryAfter)));
    expect(unexpected).toEqual([]);
  }

  it('answers 200 concurrent onboardings with 202, a full pool with 422, busy with 503 and Retry-After; capacity holds and nothing is orphaned', async () => {
    const requests = Array.from({ length: 200 }, (_, i) => ({ code: `burst_${i}`, pool: i % 5 === 0 ? 'small' : undefined }));
    const { value: answers, health } = await healthDuring(() => Promise.all(requests.map(({ code, pool }) => onboard(code, pool))));
    const counts: Record<number, number> = {};
    for (const { status } of answers) counts[status] = (counts[status] ?? 0) + 1;
    process.stdout.write(`200 onboardings at once, answers by status: ${JSON.stringify(counts)}\n`);

    expectOnlyAllowedAnswers(answers);
    // Queueing admissions are no reason to take the instance out of rotation.
    expect(longestUnhealthyRun(health)).toBeLessThan(3);

    const small = answers.filter((a) => a.pool === 'small');
    expect(small.filter((a) => a.status === 202).length).toBeLessThanOrEqual(SMALL_POOL);
    const refused = small.filter((a) => a.status === 422);
    expect(refused.length).toBeGreaterThan(0);
    for (const { message } of refused) expect(message).toBe(`database pool small ${SMALL_POOL}/${SMALL_POOL} is full`);

    // Every 202 has its tenant, provisioning operation and slot; no other answer left a tenant behind.
    const accepted = answers.filter((a) => a.status === 202);
    const tenants = await sql<{ code: string; operation_id: string; pool: string }>(
      `SELECT t.code, o.id AS operation_id, p.name AS pool
         FROM tenants t JOIN operations o ON o.tenant_id = t.id AND o.kind = 'provision' JOIN database_pools p ON p.id = t.slot_pool_id`,
    );
    expect(tenants.map((t) => t.code).sort()).toEqual(accepted.map((a) => a.code).sort());
    expect(await sql(`SELECT 1 FROM tenants`)).toHaveLength(accepted.length);
    const byCode = new Map(tenants.map((t) => [t.code, t]));
    for (const answer of accepted) {
      expect(byCode.get(answer.code)).toMatchObject({ operation_id: answer.operationId, pool: answer.pool ?? env.settings(configuredPoolSettings).name });
    }

    // Provisioned by the worker: one database per tenant, no database without its tenant, no pool past its capacity.
    await until(async () => (await sql(`SELECT 1 FROM operations WHERE status IN ('pending', 'running')`)).length === 0, 'every provisioning to end');
    expect(await sql(`SELECT o.tenant_id, o.last_error FROM operations o WHERE o.status <> 'succeeded'`)).toEqual([]);
    const placed = await sql<{ database_name: string }>(
      `SELECT d.database_name FROM tenants t JOIN tenant_databases d ON d.tenant_id = t.id AND d.pool_id = t.slot_pool_id WHERE t.status = 'active'`,
    );
    expect(placed).toHaveLength(accepted.length);
    const databases = await env.sql<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`tenant\\_%\\_${env.label}`]);
    expect(databases.map((d) => d.datname).sort()).toEqual(placed.map((p) => p.database_name).sort());
    const pools = await sql<{ name: string; used_slots: number; max_databases: number; holders: number }>(
      `SELECT p.name, p.used_slots, p.max_databases, (SELECT count(*)::int FROM tenants t WHERE t.slot_pool_id = p.id) AS holders FROM database_pools p`,
    );
    for (const pool of pools) {
      expect(pool.used_slots).toBe(pool.holders);
      expect(pool.used_slots).toBeLessThanOrEqual(pool.max_databases);
    }
    // What follows is about admission alone: no more databases to make (and drop at the end).
    await worker.stop();
  });

  it('keeps admitting to other pools while one pool is held, answering that one 503 with Retry-After instead of waiting', async () => {
    // Another admission to `hot` stuck mid-transaction: its pool row stays locked until released.
    const holder = new Client({ connectionString: env.databaseUrl(env.adminDatabase) });
    surviveConnectionErrors(holder, 'hot pool holder');
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query(`SELECT 1 FROM database_pools WHERE name = 'hot' FOR UPDATE`);
    let answers: Answer[];
    let health: number[];
    try {
      const requests = Array.from({ length: 100 }, (_, i) => ({ code: `held_${i}`, pool: i % 5 === 0 ? 'hot' : undefined }));
      ({ value: answers, health } = await healthDuring(() => Promise.all(requests.map(({ code, pool }) => onboard(code, pool)))));
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    expectOnlyAllowedAnswers(answers);
    expect(longestUnhealthyRun(health)).toBeLessThan(3);
    // The other pool admits while `hot` is held. Its own 80 admissions queue on its row: on a loaded
    // machine some of them outlast the lock timeout, and those name that pool, never `hot`.
    const elsewhere = answers.filter((a) => a.pool === undefined);
    expect(elsewhere.filter((a) => a.status === 202).length).toBeGreaterThan(0);
    const defaultPool = env.settings(configuredPoolSettings).name;
    expect(elsewhere.filter((a) => a.status !== 202 && !(a.status === 503 && a.message?.includes(`"${defaultPool}"`)))).toEqual([]);
    for (const answer of answers.filter((a) => a.pool === 'hot')) {
      expect(answer).toMatchObject({ status: 503, error: 'REGISTRY_BUSY', message: 'database pool "hot" is busy admitting other tenants; try again shortly' });
      expect(Number(answer.retryAfter)).toBeGreaterThan(0);
    }
    expect(await sql(`SELECT 1 FROM tenants WHERE code LIKE 'held\\_%' AND slot_pool_id = (SELECT id FROM database_pools WHERE name = 'hot')`)).toEqual([]);
    // Released: the pool admits again.
    expect((await onboard('held_again', 'hot')).status).toBe(202);
  });
});

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 240_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
