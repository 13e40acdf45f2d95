import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { createTestEnv, type TestEnv } from './test-env';
import { renderPgBouncerConfig, startThrowawayPgBouncer } from './throwaway-pgbouncer';

describe('startThrowawayPgBouncer', () => {
  let env: TestEnv;

  beforeAll(() => {
    env = createTestEnv();
  });

  afterAll(async () => {
    await env.cleanup();
  });

  it('renders the template through scripts/pgbouncer/render.sh, the renderer npm start and docker-compose use, and refuses a missing value', () => {
    const ini = renderPgBouncerConfig({ SERVER_HOST: 'pg.internal', PORT: '7000', DIR: '/run/p', POOL_SIZE: '3', LOGFILE: '' });
    expect(ini).not.toMatch(/@[A-Z_]+@/);
    expect(ini).toContain('* = host=pg.internal port=5432');
    expect(ini).toMatch(/^default_pool_size = 3$/m);
    expect(ini).toMatch(/^max_db_connections = 3$/m);
    expect(ini).toMatch(/^listen_addr = 127\.0\.0\.1$/m);
    expect(ini).toMatch(/^logfile = $/m);
    expect(() => renderPgBouncerConfig({ PORT: '7000', DIR: '/run/p' })).toThrow(/PGBOUNCER_SERVER_HOST/);
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
