import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEV_ISSUER_KEY_FILE } from '@tenantry/dev-issuer';
import { BUILT, startControlPlane, type ControlPlane } from '@tenantry/test-support';

const entry = BUILT.mintToken;

describe('mint-token: a tenant user token by the code the demo prints', () => {
  let dir: string;
  let plane: ControlPlane;
  let tenantId: string;

  /** Runs the built mint-token where its .dev/issuer-key.json is the control plane's issuer key. */
  const mint = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
      execFile(process.execPath, [entry, ...args], { cwd: dir }, (error, stdout, stderr) =>
        done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });
  const claims = (token: string) => JSON.parse(Buffer.from(token.trim().split('.')[1], 'base64url').toString()) as Record<string, unknown>;

  beforeAll(async () => {
    if (!existsSync(entry)) throw new Error(`${entry} is missing: run "npm run build" first (npm test does)`);
    dir = mkdtempSync(join(tmpdir(), 'tenantry-mint-'));
    plane = await startControlPlane({ worker: false, issuerKeyFile: join(dir, DEV_ISSUER_KEY_FILE) });
    const created = await plane.admin('POST', '/tenants', { code: 'acme', name: 'Acme' });
    expect(created.status).toBe(202);
    tenantId = created.body.tenant.id;
  });

  afterAll(async () => {
    await plane?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('--tenant <code> looks the code up through the admin API and mints for that tenant id', async () => {
    const result = await mint('--tenant', 'acme', '--admin-api', plane.adminUrl, '--issuer', plane.issuer.issuer);
    expect(result.stderr).toBe('');
    expect(claims(result.stdout)).toMatchObject({ tenant_id: tenantId, iss: plane.issuer.issuer });
  });

  it('--tenant <id> still takes the id as it is', async () => {
    const result = await mint('--tenant', tenantId, '--admin-api', 'http://127.0.0.1:9', '--issuer', plane.issuer.issuer);
    expect(claims(result.stdout)).toMatchObject({ tenant_id: tenantId });
  });

  it('names an unknown code, and an admin API that does not answer', async () => {
    const unknown = await mint('--tenant', 'nobody', '--admin-api', plane.adminUrl, '--issuer', plane.issuer.issuer);
    expect(unknown).toMatchObject({ code: 1, stdout: '' });
    expect(unknown.stderr).toContain('no tenant with code "nobody"');
    const down = await mint('--tenant', 'acme', '--admin-api', 'http://127.0.0.1:9', '--issuer', plane.issuer.issuer);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('no admin API answers at http://127.0.0.1:9');
  });

  it('--help says how to use it', async () => {
    const result = await mint('--help');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--tenant <code or id>');
  });
});
