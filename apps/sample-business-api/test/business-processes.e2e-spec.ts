import { httpRequest, type BuiltApp } from '@tenantry/common/testing';
import { errorLines, spawnBusinessApi, startControlPlane, type ControlPlane } from '@tenantry/test-support';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Sample {
  process: number;
  sentAt: number;
  status: number;
}

/**
 * Three sample business-service processes, as a real deployment runs replicas, resolving one
 * tenant through the shared Redis while the admin API changes it. Their in-process cache keeps a
 * tenant for a minute (the most it allows) here, so only the invalidation can make them change their answer soon; the
 * assertions are about when each process received it (its own log line), not about a wall-clock
 * bound that a loaded machine stretches.
 */
describe('several business-service processes follow the registry as soon as its invalidation reaches them', () => {
  let plane: ControlPlane;
  let services: BuiltApp[] = [];
  let urls: string[];
  let tenant: { id: string; code: string };
  let token: string;

  beforeAll(async () => {
    plane = await startControlPlane();
    tenant = await plane.provision('replicated');
    token = await plane.tenantToken(tenant.id);
    services = [0, 1, 2].map(() => spawnBusinessApi({ ...plane.env.rawEnv, LOG_LEVEL: 'info', TENANT_LOCAL_CACHE_TTL_SECONDS: '60' }));
    urls = (await Promise.all(services.map((service) => service.ready))).map((match) => match[1]);
    for (const url of urls) expect((await get(url)).status).toBe(200);
  });

  afterAll(async () => {
    await Promise.all(services.map((service) => service.stop()));
    await plane?.stop();
  });

  const get = (url: string) => httpRequest(`${url}/orders`, { headers: { authorization: `Bearer ${token}` } });

  /** When each process logged an invalidation of the tenant (ms since the epoch, the clock its log lines carry). */
  const invalidations = () =>
    services.map((service) =>
      service
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{') && line.includes('tenant invalidated'))
        .map((line) => JSON.parse(line) as { time: number; tenant_id: string })
        .filter((line) => line.tenant_id === tenant.id)
        .map((line) => line.time),
    );

  /**
   * Requests flowing to every process (3 at a time each) while `change` runs, until every process
   * has logged the invalidation it causes and answered `settled` requests sent after it.
   * Returns the samples and, per process, when it received the invalidation.
   */
  async function acrossInvalidation(change: () => Promise<void>, settled = 10): Promise<{ samples: Sample[]; receivedAt: number[] }> {
    const seenBefore = invalidations().map((times) => times.length);
    const samples: Sample[] = [];
    const receivedAt = (): Array<number | undefined> => invalidations().map((times, process) => times[seenBefore[process]]);
    const done = () => receivedAt().every((at, process) => at !== undefined && samples.filter((s) => s.process === process && s.sentAt > at).length >= settled);
    let running = true;
    const loops = urls.flatMap((url, process) =>
      [0, 1, 2].map(async () => {
        while (running) {
          const sentAt = Date.now();
          const { status } = await get(url);
          samples.push({ process, sentAt, status });
        }
      }),
    );
    try {
      await sleep(300);
      await change();
      const deadline = performance.now() + 30_000;
      while (!done()) {
        if (performance.now() > deadline) throw new Error(`the invalidation did not reach every process: ${JSON.stringify(receivedAt())}`);
        await sleep(20);
      }
    } finally {
      running = false;
      await Promise.all(loops);
    }
    return { samples, receivedAt: receivedAt() as number[] };
  }

  /** Per process, the statuses of the requests sent after it received the invalidation. */
  const answeredAfter = ({ samples, receivedAt }: { samples: Sample[]; receivedAt: number[] }) =>
    receivedAt.map((at, process) => samples.filter((s) => s.process === process && s.sentAt > at).map((s) => s.status));

  it('a tenant suspended while requests flow is refused by every process from the invalidation on, and served again after resume', async () => {
    let suspendedAt = 0;
    const suspension = await acrossInvalidation(async () => {
      suspendedAt = Date.now();
      expect((await plane.admin('POST', `/tenants/${tenant.code}/suspend`)).status).toBe(202);
    });
    process.stdout.write(
      `suspension: the invalidation reached the 3 processes ${suspension.receivedAt.map((at) => `${at - suspendedAt} ms`).join(', ')} after the request\n`,
    );
    // Served until the invalidation came (the cache would have kept serving for a minute), refused from then on.
    expect(suspension.samples.filter((s) => s.sentAt < suspendedAt).every((s) => s.status === 200)).toBe(true);
    for (const statuses of answeredAfter(suspension)) expect(new Set(statuses)).toEqual(new Set([403]));
    expect(suspension.samples.some((s) => s.status >= 500)).toBe(false);

    const resumption = await acrossInvalidation(async () => {
      expect((await plane.admin('POST', `/tenants/${tenant.code}/resume`)).status).toBe(202);
    });
    for (const statuses of answeredAfter(resumption)) expect(new Set(statuses)).toEqual(new Set([200]));
    expect(resumption.samples.some((s) => s.status >= 500)).toBe(false);
  });

  it('a credential rotation makes every process reopen the tenant pool, with no failed request', async () => {
    const database = `tenant_${tenant.code}_${plane.env.label}`;
    const started = new Date();
    let steps: unknown;
    const { samples } = await acrossInvalidation(async () => {
      const rotation = await plane.admin('POST', `/tenants/${tenant.code}/rotate-credentials`);
      expect(rotation.status).toBe(202);
      const operation = await plane.waitForOperation(rotation.body.id);
      steps = operation.steps;
      expect(operation.status).toBe('succeeded');
    });
    const refused = samples.filter((s) => s.status !== 200);
    if (refused.length > 0) {
      // Which step the refusals fell in, and what each process said of them.
      console.log(`the rotation's steps: ${JSON.stringify(steps)}\n${services.map((service, i) => `process ${i}:\n${errorLines(service.output())}`).join('\n')}`);
    }
    expect(refused).toEqual([]);
    // The pools opened before the rotation are closed once their requests finished; the new ones serve.
    const backends = async () =>
      plane.env.sql<{ fresh: boolean }>(`SELECT backend_start > $2 AS fresh FROM pg_stat_activity WHERE datname = $1 AND usename = $3`, [
        database,
        started,
        `${database}_app`,
      ]);
    // A deadline for the event only: the old pools close once the requests holding them finished.
    const deadline = performance.now() + 30_000;
    while ((await backends()).some((b) => !b.fresh) && performance.now() < deadline) await sleep(50);
    const after = await backends();
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((b) => b.fresh)).toBe(true);
    const audit = await plane.env.sql<{ action: string }>(
      `SELECT action FROM audit_events WHERE tenant_id = $1 AND action LIKE 'tenant.rotate%'`,
      [tenant.id],
      plane.env.adminDatabase,
    );
    expect(audit).toHaveLength(1);
  });

  it("every log line of a tenant's request carries its tenant_id", async () => {
    await Promise.all(urls.map((url) => get(url)));
    await sleep(200);
    const lines = services
      .flatMap((service) => service.output().split('\n'))
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { tenant_id?: string; req?: { url?: string }; msg?: string });
    const requestLines = lines.filter((line) => line.req?.url?.startsWith('/orders'));
    expect(requestLines.length).toBeGreaterThan(100);
    expect(requestLines.filter((line) => line.tenant_id !== tenant.id)).toEqual([]);
    const invalidations = lines.filter((line) => line.msg?.includes('tenant invalidated'));
    expect(invalidations.length).toBeGreaterThanOrEqual(3);
    expect(invalidations.every((line) => line.tenant_id === tenant.id)).toBe(true);
  });
});
