import { forgeAlgNone, forgeHs256WithPublicKey, mintWithUnpublishedKey, tamper } from '@tenantry/auth/testing';
import { startControlPlane, type ControlPlane, type HttpResult } from '@tenantry/test-support';

/**
 * Tenant A's user tries every way we know to reach tenant B's data through the sample business
 * service. B has one order with a recognisable SKU; no answer to A may contain it, whatever the status.
 */
describe("cross-tenant attempts: A's user never reaches B's data", () => {
  let plane: ControlPlane;
  let a: { id: string; code: string };
  let b: { id: string; code: string };
  let bOrderId: string;
  let aToken: string;
  const B_SKU = 'B-ONLY-SKU-7731';

  beforeAll(async () => {
    // Audience checks on, as a real deployment configures them (Keycloak's aud is often only "account").
    plane = await startControlPlane({ env: { AUTH_AUDIENCES: 'orders-api', AUTH_CLIENTS: 'tenantry-app' } });
    [a, b] = await Promise.all([plane.provision('tenant_a'), plane.provision('tenant_b')]);
    const created = await plane.business('POST', '/orders', await plane.tenantToken(b.id), {
      lines: [{ sku: B_SKU, quantity: 1, unitPriceCents: 100 }],
    });
    expect(created.status).toBe(201);
    bOrderId = created.body.id;
    aToken = await plane.tenantToken(a.id);
  });

  afterAll(async () => {
    await plane?.stop();
  });

  /** No order of B in the answer (an error may repeat the id the caller sent; it may not return the order). */
  const leaksNothing = (answer: HttpResult) => {
    expect(JSON.stringify(answer.body ?? '')).not.toContain(B_SKU);
    const orders: Array<{ id?: string }> = Array.isArray(answer.body) ? answer.body : [answer.body ?? {}];
    expect(orders.map((order) => order.id)).not.toContain(bOrderId);
  };

  it("B's own token does see B's order (the data the attempts aim at is there)", async () => {
    const own = await plane.business('GET', `/orders/${bOrderId}`, await plane.tenantToken(b.id));
    expect(own.status).toBe(200);
    expect(JSON.stringify(own.body)).toContain(B_SKU);
  });

  it.each([
    ['a tenant header', '/orders', { 'x-tenant-id': 'B', 'tenant-id': 'B', 'x-tenant': 'B' }],
    ['a query parameter', '/orders?tenant_id=B&tenantId=B&tenant=B', {}],
  ])("A's token naming B in %s: A's data only", async (_what, path, headers) => {
    const named = Object.fromEntries(Object.entries(headers).map(([key]) => [key, b.id]));
    const answer = await plane.business('GET', path.replace(/=B/g, `=${b.id}`), aToken, undefined, named);
    expect(answer.status).toBe(200);
    leaksNothing(answer);
  });

  it("A's token naming B's order in the path: 404", async () => {
    const answer = await plane.business('GET', `/orders/${bOrderId}`, aToken);
    expect(answer.status).toBe(404);
    leaksNothing(answer);
  });

  it("A's token naming B in the body: refused, and nothing written in B", async () => {
    const answer = await plane.business('POST', '/orders', aToken, { tenantId: b.id, lines: [{ sku: 'X-FROM-A', quantity: 1, unitPriceCents: 1 }] });
    expect(answer.status).toBe(400);
    expect(JSON.stringify(answer.body.message)).toContain('tenantId should not exist');
    const written = await plane.env.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM order_lines WHERE sku = 'X-FROM-A'`,
      [],
      `tenant_tenant_b_${plane.env.label}`,
    );
    expect(written[0].n).toBe(0);
  });

  const forgeries: Array<[string, () => Promise<string>, RegExp]> = [
    ["A's token with its tenant claim edited to B after signing", async () => tamper(aToken, { tenant_id: b.id }), /signature/],
    ['a token for B signed by a key the realm does not publish', () => mintWithUnpublishedKey(plane.issuer, { tenantId: b.id }), /does not publish/],
    ['an alg:none token for B', async () => forgeAlgNone(plane.issuer, { tenant_id: b.id }), /algorithm|malformed/],
    ['an HS256 token for B keyed with the realm public key', async () => forgeHs256WithPublicKey(plane.issuer, { tenant_id: b.id }), /algorithm|malformed/],
    ['an expired token for B', () => plane.issuer.mint({ tenantId: b.id }, { expiresInSeconds: -120 }), /expired/],
    ['a token for B from another issuer', () => plane.issuer.mint({ tenantId: b.id }, { issuer: 'http://127.0.0.1:1/realms/evil' }), /issuer/],
    ['a token for B meant for another audience and client', () => plane.issuer.mint({ tenantId: b.id, aud: 'billing-api', azp: 'billing-app' }), /audience/],
    ["B's ID token (its azp is an accepted client, but it is not an access token)", () => plane.issuer.mint({ tenantId: b.id }, { kind: 'id' }), /not an access token/],
    ["B's refresh token", () => plane.issuer.mint({ tenantId: b.id, aud: 'orders-api' }, { kind: 'refresh' }), /not an access token/],
  ];

  it.each(forgeries)('%s: 401, nothing of B', async (_what, forge, reason) => {
    for (const path of ['/orders', `/orders/${bOrderId}`]) {
      const answer = await plane.business('GET', path, await forge());
      expect(answer.status).toBe(401);
      expect(answer.body.message).toMatch(reason);
      leaksNothing(answer);
    }
  });
});
