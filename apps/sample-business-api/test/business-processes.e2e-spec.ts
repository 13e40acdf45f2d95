import { join } from 'node:path';
import { spawnBuiltApp, type BuiltApp } from '@tenantry/testing';
import { startControlPlane, type ControlPlane } from '../../admin-api/test/control-plane.harness';

const entry = join(__dirname, '../../../dist/apps/sample-business-api/src/main.js');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Sample {
  process: number;
  sentAt: number;
  status: number;
}

/**
 * Three sample business-service processes, as a real deployment runs replicas, resolving one
 * tenant through the shared Redis while the admin API changes it.
 */
describe('several business-service processes follow the registry within a second', () => {
  let plane: ControlPlane;
  let services: BuiltApp[] = [];
  let urls: string[];
  let tenant: { id: string; code: string };
  let token: string;

  beforeAll(async () => {
    plane = await startControlPlane();
    tenant = await plane.provision('replicated');
    token = await plane.tenantToken(tenant.id);
    services = [0, 1, 2].map(() => spawnBuiltApp(entry, { ...plane.env.rawEnv, BUSINESS_API_PORT: '0', LOG_LEVEL: 'info' }, /listening on (http:\/\/\S+)/));
    urls = (await Promise.all(services.map((service) => service.ready))).map((match) => match[1]);
    for (const url of urls) expect((await get(url)).status).toBe(200);
  });

  afterAll(async () => {
    await Promise.all(services.map((service) => service.stop()));
    await plane?.stop();
  });

  const get = async (url: string) => fetch(`${url}/orders`, { headers: { authorization: `Bearer ${token}` } });

  /** Requests flowing to every process (3 at a time each) while `during` runs, then `tailMs` longer. */
  async function underLoad(during: () => Promise<void>, tailMs: number): Promise<Sample[]> {
    const samples: Sample[] = [];
    let running = true;
    const loops = urls.flatMap((url, process) =>
      [0, 1, 2].map(async () => {
        while (running) {
          const sentAt = performance.now();
          const response = await get(url);
          await response.arrayBuffer();
          samples.push({ process, sentAt, status: response.status });
        }
      }),
    );
    await sleep(300);
    await during();
    await sleep(tailMs);
    running = false;
    await Promise.all(loops);
    return samples;
  }

  /** For each process, how long after `since` it last answered something other than `status`. */
  function settledAfter(samples: Sample[], since: number, status: number): number[] {
    return urls.map((_url, process) => {
      const other = samples.filter((s) => s.process === process && s.status !== status && s.sentAt >= since);
      return other.length === 0 ? 0 : Math.max(...other.map((s) => s.sentAt)) - since;
    });
  }

  it('a tenant suspended while requests flow is refused by every process within a second, and served again after resume', async () => {
    let suspendedAt = 0;
    const suspension = await underLoad(async () => {
      suspendedAt = performance.now();
      expect((await plane.admin('POST', `/tenants/${tenant.code}/suspend`)).status).toBe(200);
    }, 1_500);
    const lag = settledAfter(suspension, suspendedAt, 403);
    process.stdout.write(`suspension reached the 3 processes after ${lag.map((ms) => `${ms.toFixed(0)} ms`).join(', ')}\n`);
    expect(Math.max(...lag)).toBeLessThan(1_000);
    expect(suspension.filter((s) => s.sentAt > suspendedAt + 1_000).every((s) => s.status === 403)).toBe(true);
    expect(suspension.some((s) => s.status >= 500)).toBe(false);

    let resumedAt = 0;
    const resumption = await underLoad(async () => {
      resumedAt = performance.now();
      expect((await plane.admin('POST', `/tenants/${tenant.code}/resume`)).status).toBe(200);
    }, 1_500);
    expect(Math.max(...settledAfter(resumption, resumedAt, 200))).toBeLessThan(1_000);
    expect(resumption.some((s) => s.status >= 500)).toBe(false);
  });

  it('a credential rotation makes every process reopen the tenant pool, with no failed request', async () => {
    const database = `tenant_${tenant.code}_${plane.env.label}`;
    const started = new Date();
    const samples = await underLoad(async () => {
      const rotation = await plane.admin('POST', `/tenants/${tenant.code}/rotate-credentials`);
      expect(rotation.status).toBe(202);
      expect((await plane.waitForOperation(rotation.body.id)).status).toBe('succeeded');
    }, 500);
    expect(samples.filter((s) => s.status !== 200)).toEqual([]);
    // The pools opened before the rotation are closed once their requests finished; the new ones serve.
    const backends = async () =>
      plane.env.sql<{ fresh: boolean }>(`SELECT backend_start > $2 AS fresh FROM pg_stat_activity WHERE datname = $1 AND usename = $3`, [
        database,
        started,
        `${database}_app`,
      ]);
    const deadline = performance.now() + 3_000;
    while ((await backends()).some((b) => !b.fresh) && performance.now() < deadline) await sleep(50);
    const after = await backends();
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((b) => b.fresh)).toBe(true);
    const audit = await plane.env.sql<{ action: string }>(
      `SELECT action FROM audit_events WHERE tenant_id = $1 AND action LIKE 'tenant.rotate%'`,
      [tenant.id],
      plane.env.config.adminDb.name,
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
