import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { createTestEnv, type TestEnv } from './test-env';
import { startThrowawayPgBouncer } from './throwaway-pgbouncer';

describe('startThrowawayPgBouncer', () => {
  let env: TestEnv;

  beforeAll(() => {
    env = createTestEnv();
  });

  afterAll(async () => {
    await env.cleanup();
  });

  it('leaves nothing behind, and stops and removes the pooler of a test process that died', async () => {
    const orphan = await startThrowawayPgBouncer(env.databaseUrl('postgres'));
    // As if its test process had been killed: the process its directory names is gone.
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    writeFileSync(join(orphan.dir, 'tenantry-owner.pid'), String(dead));
    const other = await startThrowawayPgBouncer(env.databaseUrl('postgres'));
    expect(existsSync(orphan.dir)).toBe(false);
    await expect(new Client({ connectionString: orphan.adminUrl }).connect()).rejects.toThrow(/ECONNREFUSED/);
    await orphan.cleanup();
    expect(await other.console('SHOW VERSION')).toHaveLength(1);
    await other.cleanup();
    expect(existsSync(other.dir)).toBe(false);
    await expect(new Client({ connectionString: other.adminUrl }).connect()).rejects.toThrow(/ECONNREFUSED/);
  }, 120_000);
});
