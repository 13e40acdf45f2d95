import type { BuiltApp } from '@tenantry/common/testing';
import { spawnBusinessApi, startControlPlane, type ControlPlane } from '@tenantry/test-support';


/** A business service as production runs it, logging every request at info: no credential a request carries reaches its logs. */
describe('request logs carry no credentials', () => {
  let plane: ControlPlane;
  let service: BuiltApp;
  let url: string;

  beforeAll(async () => {
    plane = await startControlPlane({ worker: false });
    service = spawnBusinessApi({ ...plane.env.rawEnv, LOG_LEVEL: 'info' });
    url = (await service.ready)[1];
  });

  afterAll(async () => {
    await service?.stop();
    await plane?.stop();
  });

  it('tokens in the query string, the path and any header, cookies and API keys are redacted; the request is still logged', async () => {
    const token = await plane.tenantToken('6f1d2c3b-0000-4000-8000-000000000000');
    const idToken = await plane.issuer.mint({ sub: 'spy' }, { kind: 'id' });
    const secrets = [token, idToken, 'key-3141592653', 'sess-2718281828', 'dXNlcjpzM2NyZXQ='];
    const calls: Array<[string, Record<string, string>]> = [
      [`/orders?page=1&access_token=${token}&code=sess-2718281828`, {}],
      ['/orders', { authorization: `Bearer ${token}`, 'x-api-key': 'key-3141592653', cookie: 'sid=sess-2718281828' }],
      ['/orders', { 'proxy-authorization': 'Basic dXNlcjpzM2NyZXQ=', 'x-forwarded-identity': idToken }],
      [`/orders/${idToken}`, {}],
    ];
    for (const [path, headers] of calls) await (await fetch(`${url}${path}`, { headers })).arrayBuffer();

    const deadline = Date.now() + 5_000;
    const requestLines = () =>
      service
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{') && line.includes('"req"'));
    while (requestLines().length < calls.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const lines = requestLines();
    expect(lines.length).toBeGreaterThanOrEqual(calls.length);
    for (const secret of secrets) expect(service.output()).not.toContain(secret);

    const logged = lines.map((line) => JSON.parse(line) as { req: { url: string; headers: Record<string, string> } });
    expect(logged.map((line) => line.req.url)).toEqual(
      expect.arrayContaining(['/orders?page=1&access_token=[REDACTED]&code=[REDACTED]', '/orders/[REDACTED]']),
    );
    const headers = logged.map((line) => line.req.headers);
    expect(headers).toEqual(expect.arrayContaining([expect.objectContaining({ authorization: '[REDACTED]', 'x-api-key': '[REDACTED]', cookie: '[REDACTED]' })]));
    expect(headers).toEqual(expect.arrayContaining([expect.objectContaining({ 'proxy-authorization': '[REDACTED]', 'x-forwarded-identity': '[REDACTED]' })]));
  });
});
