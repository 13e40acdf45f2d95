import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { loadSettings } from '@tenantry/common';
import { EngineRegistry, PostgresEngine, type TenantDatabaseTarget } from '@tenantry/engines';
import { verifierAccepts } from '@tenantry/engines/testing';
import { createSecretProtector, secretsSettings } from '@tenantry/secrets';
import { Logger } from 'nestjs-pino';
import { Client } from 'pg';
import { spawnWorker, startControlPlane, type ControlPlane } from '@tenantry/test-support';
import { WorkerModule } from '../src/worker.module';
import { workerSettings } from '../src/worker-settings';

const STEPS = ['prepare_credentials', 'set_login_password', 'store_credentials', 'invalidate_cache', 'end_old_sessions'];

/** The tenant server's password change that loses its answer: the login took the new password, the step still fails. */
class AnswerLostOnce extends PostgresEngine {
  failures = 0;

  override async setLoginPassword(target: TenantDatabaseTarget, password: string): Promise<Date> {
    const changedAt = await super.setLoginPassword(target, password);
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('connection lost after ALTER ROLE');
    }
    return changedAt;
  }
}

describe('credential rotation: the stored secret is always the one the login accepts', () => {
  const grace = { SESSION_GRACE_MS: '300' };
  let plane: ControlPlane;
  let tenant: { id: string; code: string };
  let database: string;

  beforeAll(async () => {
    plane = await startControlPlane({ worker: false, env: grace });
    const worker = spawnWorker({ ...plane.env.rawEnv, ...grace });
    try {
      tenant = await plane.provision('rotated');
    } finally {
      await worker.stop();
    }
    database = `tenant_rotated_${plane.env.label}`;
  });

  afterAll(async () => {
    await plane?.stop();
  });

  /** The stored secret, opened, against the SCRAM verifier the server holds for the login. */
  async function storedSecretIsAccepted(): Promise<boolean> {
    const [{ secret }] = await plane.env.sql<{ secret: string }>('SELECT secret FROM tenant_databases WHERE tenant_id = $1', [tenant.id], plane.env.adminDatabase);
    const password = await createSecretProtector(plane.env.settings(secretsSettings)).unprotect(secret, tenant.id);
    const [{ rolpassword }] = await plane.env.sql<{ rolpassword: string }>('SELECT rolpassword FROM pg_authid WHERE rolname = $1', [`${database}_app`]);
    return verifierAccepts(rolpassword, password);
  }

  const storedSecret = async () =>
    (await plane.env.sql<{ secret: string }>('SELECT secret FROM tenant_databases WHERE tenant_id = $1', [tenant.id], plane.env.adminDatabase))[0].secret;

  /** A session of the tenant's login opened before the rotation, as a business service (or anyone with the old password) holds one. */
  async function oldSession(): Promise<Client> {
    const url = new URL(plane.env.databaseUrl('postgres'));
    url.username = `${database}_app`;
    url.pathname = `/${database}`;
    const client = new Client({ connectionString: url.toString() });
    client.on('error', () => undefined);
    await client.connect();
    await client.query('SELECT count(*) FROM orders');
    return client;
  }

  it.each(STEPS)('a worker killed right after %s: the next one finishes, and the login accepts the stored secret', async (step) => {
    const before = await storedSecret();
    const session = await oldSession();
    const rotation = await plane.admin('POST', `/tenants/${tenant.code}/rotate-credentials`);
    expect(rotation.status).toBe(202);

    const doomed = spawnWorker({ ...plane.env.rawEnv, ...grace, TENANTRY_FAILPOINT: `after:${step}` });
    expect((await doomed.exited).signal).toBe('SIGKILL');
    const halfway = await plane.admin('GET', `/operations/${rotation.body.id}`);
    expect(halfway.body).toMatchObject({ status: 'running' });
    expect(halfway.body.steps.map((s: { step: string }) => s.step)).toContain(step);

    const survivor = spawnWorker({ ...plane.env.rawEnv, ...grace });
    try {
      // Booting takes what the machine's load makes it take; the bound is on the operation once a worker runs.
      await survivor.ready;
      const operation = await plane.waitForOperation(rotation.body.id, 30_000);
      expect(operation.status).toBe('succeeded');
      expect(operation.steps.map((s: { step: string }) => s.step)).toEqual(STEPS);
    } finally {
      await survivor.stop();
    }
    expect(await storedSecret()).not.toBe(before);
    expect(await storedSecretIsAccepted()).toBe(true);
    await expect(session.query('SELECT count(*) FROM orders')).rejects.toThrow();
    await session.end().catch(() => undefined);
  }, 180_000);

  describe('with a worker whose password change fails for good', () => {
    let worker: INestApplicationContext;
    let engine: AnswerLostOnce;

    beforeAll(async () => {
      const settings = loadSettings(workerSettings, { ...plane.env.rawEnv, ...grace, OPERATION_MAX_ATTEMPTS: '1' });
      const { adminUrl, exportDir } = settings.engines.postgres;
      engine = new AnswerLostOnce({ adminUrl, exportDir });
      const module = await Test.createTestingModule({ imports: [WorkerModule.forRoot(settings)] })
        .overrideProvider(EngineRegistry)
        .useValue(new EngineRegistry([engine]))
        .compile();
      module.useLogger(module.get(Logger));
      worker = await module.init();
    });

    afterAll(async () => {
      await worker?.close();
    });

    it('sets the stored password on the login again, and a retry rotates from the start', async () => {
      const before = await storedSecret();
      engine.failures = 1;
      const rotation = await plane.admin('POST', `/tenants/${tenant.code}/rotate-credentials`);
      const failed = await plane.waitForOperation(rotation.body.id);
      expect(failed).toMatchObject({ status: 'failed', step: 'set_login_password', lastError: 'connection lost after ALTER ROLE' });
      // The login had taken the new password; it has the stored one back, and nothing is left pending.
      expect(await storedSecret()).toBe(before);
      expect(await storedSecretIsAccepted()).toBe(true);
      expect(failed.steps).toEqual([]);
      const [row] = await plane.env.sql<{ pending_secret: string | null }>('SELECT pending_secret FROM operations WHERE id = $1', [rotation.body.id], plane.env.adminDatabase);
      expect(row.pending_secret).toBeNull();

      const session = await oldSession();
      expect((await plane.admin('POST', `/operations/${rotation.body.id}/retry`)).status).toBe(202);
      const retried = await plane.waitForOperation(rotation.body.id);
      expect(retried.status).toBe('succeeded');
      expect(retried.steps.map((s: { step: string }) => s.step)).toEqual(STEPS);
      expect(await storedSecret()).not.toBe(before);
      expect(await storedSecretIsAccepted()).toBe(true);
      // The session opened with the old password can no longer read or write.
      await expect(session.query('SELECT count(*) FROM orders')).rejects.toThrow();
      await expect(session.query(`INSERT INTO customers (name) VALUES ('late')`)).rejects.toThrow();
      await session.end().catch(() => undefined);
    });
  });
});
