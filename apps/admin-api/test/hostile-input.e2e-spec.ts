import { httpRequest } from '@tenantry/common/testing';
import { startControlPlane, type ControlPlane } from '@tenantry/test-support';

interface Answer {
  status: number;
  body: { error?: string; message?: string | string[] } & Record<string, unknown>;
}

const messageOf = (answer: Answer) => [answer.body.message ?? ''].flat().join('\n');

/** `body` is sent as it is when it is a string (hand-written JSON), JSON-encoded otherwise. */
async function call(url: string, method: string, token: string, body?: unknown): Promise<Answer> {
  const { status, text } = await httpRequest(url, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  let parsed: Answer['body'];
  try {
    parsed = JSON.parse(text) as Answer['body'];
  } catch {
    parsed = { message: text };
  }
  return { status, body: parsed };
}

/** A 400 whose message names `field`: the caller learns what to fix, and nothing reached the database. */
function expectRefused(answer: Answer, field: RegExp): void {
  expect({ status: answer.status, message: messageOf(answer) }).toEqual({ status: 400, message: expect.stringMatching(field) });
}

const deepJson = (depth: number, leaf = '1') => `${'['.repeat(depth)}${leaf}${']'.repeat(depth)}`;

/**
 * Hostile input against the apps as production runs them (the built processes): control
 * characters in any string, in a path parameter or in a token claim, JSON nested thousands deep,
 * pagination numbers that are not small whole numbers, and plans or regions outside the catalogue.
 * Each is a 400 (a 401 for the token) that names what is wrong, never a 500.
 */
describe('hostile input is refused with a reason, never a 500', () => {
  let plane: ControlPlane;
  let adminToken: string;
  let tenantToken: string;

  beforeAll(async () => {
    plane = await startControlPlane({ env: { TENANT_PLANS: 'standard,premium', TENANT_REGIONS: 'local,westeurope' } });
    adminToken = await plane.adminToken();
    const tenant = await plane.provision('hostile');
    tenantToken = await plane.tenantToken(tenant.id);
  });

  afterAll(async () => {
    await plane?.stop();
  });

  const admin = (method: string, path: string, body?: unknown, token = adminToken) => call(`${plane.adminUrl}${path}`, method, token, body);
  const business = (method: string, path: string, body?: unknown) => call(`${plane.businessUrl}${path}`, method, tenantToken, body);

  describe('control characters', () => {
    it.each([
      ['a NUL byte', 'Acme\u0000Corp'],
      ['an escape sequence', 'Acme\u001b[2J'],
      ['a line break', 'Acme\nCorp'],
      ['DEL', 'Acme\u007f'],
      ['a C1 control', 'Acme\u0085'],
    ])('in a tenant name (%s): 400 naming name', async (_what, name) => {
      expectRefused(await admin('POST', '/tenants', { code: 'ctl_name', name }), /\bname\b.*control character/);
    });

    it('in an order customer name and in a sku: 400 naming the field', async () => {
      const line = { sku: 'SKU-1', quantity: 1, unitPriceCents: 100 };
      expectRefused(await business('POST', '/orders', { customerName: 'Jane\u0000Doe', lines: [line] }), /\bcustomerName\b.*control character/);
      expectRefused(await business('POST', '/orders', { lines: [line, { ...line, sku: 'SKU\u0000' }] }), /\blines\.1\.sku\b.*control character/);
    });

    it('in a path parameter: 400 naming the parameter', async () => {
      expectRefused(await admin('GET', '/tenants/a%00b'), /\bcode\b.*control character/);
      expectRefused(await admin('POST', '/tenants/a%00b/suspend'), /\bcode\b.*control character/);
      expectRefused(await admin('DELETE', '/tenants/a%07b'), /\bcode\b.*control character/);
    });

    it('in a field name: 400', async () => {
      expectRefused(await admin('POST', '/tenants', '{"code":"ctl_key","name":"Acme","pl\\u0000an":"standard"}'), /control character/);
    });

    it('in the preferred_username claim written to the audit trail: 401 naming the claim, nothing written', async () => {
      for (const username of ['eve\u0000', 'eve\u001b[31madmin']) {
        const token = await plane.issuer.mint({ sub: 'eve', preferred_username: username, roles: ['platform-admin'] });
        const answer = await admin('POST', '/tenants', { code: 'ctl_actor', name: 'Actor' }, token);
        expect({ status: answer.status, message: messageOf(answer) }).toEqual({
          status: 401,
          message: expect.stringMatching(/preferred_username.*control character/),
        });
      }
      expect(await plane.env.sql('SELECT 1 FROM tenants WHERE code = $1', ['ctl_actor'], plane.env.adminDatabase)).toEqual([]);
    });

    it('text with ordinary Unicode is still accepted', async () => {
      const created = await admin('POST', '/tenants', { code: 'unicode_ok', name: 'Ærø Café — 東京 ✓', plan: 'premium', region: 'local' });
      expect(created.status).toBe(202);
      expect(created.body).toMatchObject({ tenant: { name: 'Ærø Café — 東京 ✓', plan: 'premium', region: 'local' } });
      expect((await plane.waitForOperation((created.body.operation as { id: string }).id)).status).toBe('succeeded');
      // A region of the catalogue is admitted, and placed only on a server of that region: this fleet has none there.
      const elsewhere = await admin('POST', '/tenants', { code: 'unicode_weu', name: 'Ærø Café — 東京 ✓', plan: 'premium', region: 'westeurope' });
      expect(elsewhere.status).toBe(422);
      expect(elsewhere.body.message).toBe('no shared database pool is registered in region westeurope');
    });
  });

  describe('JSON nested thousands deep', () => {
    it('is refused before class-transformer sees it, naming the problem, on both apps', async () => {
      expectRefused(await admin('POST', '/tenants', deepJson(5000)), /nested deeper than 32/);
      expectRefused(await admin('POST', '/tenants', `{"code":"deep","name":"Deep","plan":${deepJson(5000, '"x"')}}`), /\bplan\b.*nested deeper than 32/);
      expectRefused(await admin('PUT', '/pools/deep', deepJson(5000)), /nested deeper than 32/);
      expectRefused(await business('POST', '/orders', `{"lines":${deepJson(5000, '{}')}}`), /\blines\b.*nested deeper than 32/);
    });

    it('a body within the limit still reaches validation', async () => {
      const answer = await admin('POST', '/tenants', deepJson(20));
      expect(answer.status).toBe(400);
      expect(messageOf(answer)).not.toMatch(/nested deeper/);
    });
  });

  describe('pagination numbers', () => {
    const notSmallWholeNumbers = ['1e308', '1e21', '1e2', '0x10', '1.5', '-1', '0', '99999999999999999999', 'abc', ''];

    it.each(['/tenants', '/migrations/runs'])('%s: page and pageSize must be small whole numbers, each a 400 naming it', async (route) => {
      for (const field of ['page', 'pageSize']) {
        for (const value of notSmallWholeNumbers) {
          const answer = await admin('GET', `${route}?${field}=${encodeURIComponent(value)}`);
          expect({ value, status: answer.status, message: messageOf(answer) }).toEqual({
            value,
            status: 400,
            message: expect.stringMatching(new RegExp(`\\b${field}\\b must be a whole number`)),
          });
        }
      }
      const fine = await admin('GET', `${route}?page=2&pageSize=5`);
      expect(fine).toMatchObject({ status: 200, body: { page: 2, pageSize: 5 } });
    });

    it('/orders: limit must be a small whole number, a 400 naming it', async () => {
      for (const value of notSmallWholeNumbers) {
        const answer = await business('GET', `/orders?limit=${encodeURIComponent(value)}`);
        expect({ value, status: answer.status, message: messageOf(answer) }).toEqual({
          value,
          status: 400,
          message: expect.stringMatching(/\blimit\b must be a whole number/),
        });
      }
      expect((await business('GET', '/orders?limit=3')).status).toBe(200);
      expect((await business('GET', '/orders')).status).toBe(200);
    });
  });

  describe('plans and regions', () => {
    it('outside the configured catalogue: 400 naming the field and the values allowed', async () => {
      expectRefused(await admin('POST', '/tenants', { code: 'odd_plan', name: 'Odd', plan: 'platinum' }), /\bplan\b.*standard, premium/);
      expectRefused(await admin('POST', '/tenants', { code: 'odd_region', name: 'Odd', region: 'mars' }), /\bregion\b.*local, westeurope/);
    });

    it('absent: the first of each catalogue', async () => {
      const created = await admin('POST', '/tenants', { code: 'defaults', name: 'Defaults' });
      expect(created).toMatchObject({ status: 202, body: { tenant: { plan: 'standard', region: 'local' } } });
      expect((await plane.waitForOperation((created.body.operation as { id: string }).id)).status).toBe('succeeded');
    });
  });
});
