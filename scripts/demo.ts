import { DEV_ISSUER_KEY_FILE, LocalIssuer } from '@tenantry/dev-issuer';

// The demo talks to the running processes over HTTP only, as a platform admin and a tenant user would.
const adminApi = `http://127.0.0.1:${process.env.ADMIN_API_PORT ?? 3000}`;
const businessApi = `http://127.0.0.1:${process.env.BUSINESS_API_PORT ?? 3001}`;
const issuerUrl = process.env.AUTH_ISSUER ?? 'http://127.0.0.1:8081/realms/tenantry';

interface Tenant {
  id: string;
  code: string;
  status: string;
}

interface Operation {
  id: string;
  status: string;
  step: string | null;
  lastError: string | null;
  steps: Array<{ step: string; durationMs: number }>;
}

async function call<T>(method: string, url: string, token: string, body?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T };
}

async function waitFor(url: string, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${what} did not answer at ${url} within 60 s; see .dev/logs/`);
}

async function ensureTenant(code: string, name: string, adminToken: string): Promise<Tenant> {
  const existing = await call<Tenant>('GET', `${adminApi}/tenants/${code}`, adminToken);
  if (existing.status === 200 && existing.body.status === 'active') {
    console.log(`  ${code}: already active (${existing.body.id})`);
    return existing.body;
  }
  const created = await call<{ tenant: Tenant; operation: Operation; message?: string }>('POST', `${adminApi}/tenants`, adminToken, {
    code,
    name,
    plan: 'standard',
  });
  if (created.status !== 202) throw new Error(`POST /tenants ${code}: ${created.status} ${JSON.stringify(created.body)}`);
  console.log(`  POST /tenants {"code":"${code}"} -> 202, operation ${created.body.operation.id}`);
  const started = Date.now();
  for (;;) {
    const { body: operation } = await call<Operation>('GET', `${adminApi}/operations/${created.body.operation.id}`, adminToken);
    if (operation.status === 'succeeded') {
      const steps = operation.steps.map((step) => `${step.step} ${step.durationMs}ms`).join(', ');
      console.log(`  ${code}: active in ${Date.now() - started} ms (${steps})`);
      return created.body.tenant;
    }
    if (operation.status === 'failed') throw new Error(`provisioning ${code} failed at ${operation.step}: ${operation.lastError}`);
    if (Date.now() - started > 60_000) throw new Error(`provisioning ${code} still ${operation.status} at ${operation.step} after 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function main(): Promise<void> {
  await waitFor(`${adminApi}/health`, 'admin API');
  await waitFor(`${businessApi}/orders`, 'sample business API');
  await waitFor(`${issuerUrl}/.well-known/openid-configuration`, 'token issuer');
  const issuer = await LocalIssuer.load({ keyFile: DEV_ISSUER_KEY_FILE, issuer: issuerUrl });
  const adminToken = await issuer.mint({ sub: 'demo-admin', preferred_username: 'demo-admin', roles: ['platform-admin'] });

  console.log('Provisioning two tenants through the admin API:');
  const acme = await ensureTenant('acme', 'Acme Corporation', adminToken);
  const globex = await ensureTenant('globex', 'Globex Inc.', adminToken);

  const acmeToken = await issuer.mint({ sub: 'alice', preferred_username: 'alice', tenantId: acme.id });
  const globexToken = await issuer.mint({ sub: 'bob', preferred_username: 'bob', tenantId: globex.id });

  console.log('\nOne order per tenant through the sample business API, each with its own token:');
  const order = { customerName: 'Demo customer', lines: [{ sku: 'SKU-1', quantity: 2, unitPriceCents: 1250 }] };
  const acmeOrder = await call<{ id: string }>('POST', `${businessApi}/orders`, acmeToken, order);
  const globexOrder = await call<{ id: string }>('POST', `${businessApi}/orders`, globexToken, order);
  console.log(`  acme   POST /orders -> ${acmeOrder.status} ${acmeOrder.body.id}`);
  console.log(`  globex POST /orders -> ${globexOrder.status} ${globexOrder.body.id}`);

  console.log("\nacme's token trying to reach globex's orders:");
  const attempts: Array<[string, string]> = [
    ['header X-Tenant-Id', `${businessApi}/orders`],
    ['query ?tenant_id=', `${businessApi}/orders?tenant_id=${globex.id}`],
  ];
  let leaked = false;
  for (const [how, url] of attempts) {
    const response = await fetch(url, { headers: { authorization: `Bearer ${acmeToken}`, 'x-tenant-id': globex.id } });
    const orders = (await response.json()) as Array<{ id: string }> | { message: string };
    const ids = Array.isArray(orders) ? orders.map((o) => o.id) : [];
    const sawGlobex = ids.includes(globexOrder.body.id);
    leaked ||= sawGlobex;
    console.log(`  by ${how}: ${response.status}, ${ids.length} orders, globex's order visible: ${sawGlobex ? 'YES' : 'no'}`);
  }
  const byPath = await call<{ message: string }>('GET', `${businessApi}/orders/${globexOrder.body.id}`, acmeToken);
  leaked ||= byPath.status === 200;
  console.log(`  by path /orders/<globex order id>: ${byPath.status} ${byPath.body.message ?? ''}`);
  const forged = await call<{ message: string }>('GET', `${businessApi}/orders`, `${acmeToken.slice(0, -4)}AAAA`);
  console.log(`  with a tampered token: ${forged.status} ${forged.body.message}`);
  if (leaked) throw new Error('tenant isolation broken: acme saw globex data');
  console.log('\nIsolation holds: each token sees only its own tenant database.');
}

main().catch((error: unknown) => {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
