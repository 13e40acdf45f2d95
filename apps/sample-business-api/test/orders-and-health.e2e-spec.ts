import { httpRequest, startTcpProxy, type BuiltApp, type TcpProxy } from '@tenantry/common/testing';
import { spawnBusinessApi, startControlPlane, type ControlPlane, type JsonAnswer } from '@tenantry/test-support';

interface OrderAnswer {
  id: string;
  number: number;
  totalCents: number;
  lines: Array<{ sku: string; unitPriceCents: number }>;
}

/**
 * The sample business service as production runs it, reaching the registry and Redis through
 * proxies that the health checks take away: what its orders look like, and what /health says.
 */
describe('the sample business service: orders in integer cents, and its health', () => {
  let plane: ControlPlane;
  let registry: TcpProxy;
  let redis: TcpProxy;
  let service: BuiltApp;
  let url: string;
  let token: string;
  let database: string;

  beforeAll(async () => {
    plane = await startControlPlane();
    const tenant = await plane.provision('shop');
    token = await plane.tenantToken(tenant.id);
    database = `tenant_shop_${plane.env.label}`;
    const server = new URL(plane.env.rawEnv.DATABASE_URL as string);
    const cache = new URL(plane.env.rawEnv.REDIS_URL as string);
    registry = await startTcpProxy(Number(server.port), server.hostname);
    redis = await startTcpProxy(Number(cache.port), cache.hostname);
    server.port = String(registry.port);
    cache.port = String(redis.port);
    service = spawnBusinessApi({ ...plane.env.rawEnv, DATABASE_URL: server.toString(), REDIS_URL: cache.toString() });
    url = (await service.ready)[1];
  });

  afterAll(async () => {
    await service?.stop();
    await registry?.close();
    await redis?.close();
    await plane?.stop();
  });

  async function call<T = JsonAnswer>(method: string, path: string, body?: unknown, bearer: string | null = token): Promise<{ status: number; body: T }> {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as T };
  }

  const bySku = (order: OrderAnswer) => ({ ...order, lines: [...order.lines].sort((a, b) => a.sku.localeCompare(b.sku)) });

  it('POST /orders answers with the shape GET gives, its number included, money as integer cents', async () => {
    const created = await call<OrderAnswer>('POST', '/orders', {
      customerName: 'Jane',
      lines: [
        { sku: 'A-1', quantity: 2, unitPriceCents: 1250 },
        { sku: 'B-2', quantity: 1, unitPriceCents: 999 },
      ],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'open', totalCents: 3499, number: expect.any(Number) });
    expect(Number.isInteger(created.body.number) && created.body.number > 0).toBe(true);
    expect(bySku(created.body).lines).toMatchObject([
      { sku: 'A-1', quantity: 2, unitPriceCents: 1250 },
      { sku: 'B-2', quantity: 1, unitPriceCents: 999 },
    ]);

    const read = await call<OrderAnswer>('GET', `/orders/${created.body.id}`);
    expect(read.status).toBe(200);
    expect(bySku(read.body)).toEqual(bySku(created.body));
    const listed = await call<OrderAnswer[]>('GET', '/orders');
    expect(bySku(listed.body.find((order) => order.id === created.body.id) as OrderAnswer)).toEqual(bySku(created.body));
  });

  it('the largest order the API takes keeps an exact total; a stored amount past Number.MAX_SAFE_INTEGER is refused, never rounded', async () => {
    const lines = Array.from({ length: 500 }, (_, i) => ({ sku: `MAX-${i}`, quantity: 100_000, unitPriceCents: 100_000_000 }));
    const largest = await call<OrderAnswer>('POST', '/orders', { lines });
    expect(largest.status).toBe(201);
    expect(largest.body.totalCents).toBe(5_000_000_000_000_000);
    const [stored] = await plane.env.sql<{ total: string }>('SELECT total_cents::text AS total FROM orders WHERE id = $1', [largest.body.id], database);
    expect(stored.total).toBe('5000000000000000');

    // Written by something other than this API: 2^53 + 1 cents, which a JSON number would show as 2^53.
    await plane.env.sql('UPDATE orders SET total_cents = 9007199254740993 WHERE id = $1', [largest.body.id], database);
    const refused = await call('GET', `/orders/${largest.body.id}`);
    expect(refused).toMatchObject({ status: 500, body: { error: 'INTERNAL', correlationId: expect.any(String) } });
    expect(JSON.stringify(refused.body)).not.toMatch(/900719925474099/);
  });

  /** Polls /health until it answers `status` (a dropped connection is noticed when it is next used). */
  async function healthUntil(status: number): Promise<{ status: number; body: unknown }> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const answer = await call('GET', '/health', undefined, null);
      if (answer.status === status || Date.now() > deadline) return answer;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it("GET /metrics needs no token and carries the tenancy library's schema-version refusals beside the process's own", async () => {
    const { status, text: body } = await httpRequest(`${url}/metrics`);
    expect(status).toBe(200);
    expect(body).toContain('# TYPE tenantry_tenant_schema_version_refusals_total counter');
    expect(body).toContain('process_cpu_user_seconds_total{service="sample-business-api"}');
  });

  it('GET /health needs no token and says whether the registry and Redis answer: 503 naming the one that does not, 200 once it is back', async () => {
    expect(await healthUntil(200)).toEqual({ status: 200, body: { status: 'ok', checks: { registry: 'up', redis: 'up' } } });

    redis.set('refuse');
    expect(await healthUntil(503)).toEqual({ status: 503, body: { status: 'degraded', checks: { registry: 'up', redis: 'down' } } });
    redis.set('forward');
    expect(await healthUntil(200)).toMatchObject({ status: 200, body: { checks: { redis: 'up' } } });

    // A registry that stops answering (sockets open, nothing back) is down within the probe's bound, not a hung check.
    registry.set('blackhole');
    expect(await healthUntil(503)).toEqual({ status: 503, body: { status: 'degraded', checks: { registry: 'down', redis: 'up' } } });
    registry.set('forward');
    expect(await healthUntil(200)).toEqual({ status: 200, body: { status: 'ok', checks: { registry: 'up', redis: 'up' } } });
  });
});
