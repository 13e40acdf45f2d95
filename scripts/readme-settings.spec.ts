import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROCESS_SETTINGS, variablesRead } from './testing/process-settings';

const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');

describe("the README's settings table", () => {
  it('lists every variable a process reads, and none that no process reads', () => {
    const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1));
    const rows = table.split('\n').filter((line) => line.startsWith('| `'));
    const listed = new Set(rows.flatMap((row) => [...row.split(' | ')[0].matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map(([, name]) => name)));
    const read = variablesRead();
    expect([...read].filter((name) => !listed.has(name)).sort()).toEqual([]);
    expect([...listed].filter((name) => !read.has(name)).sort()).toEqual([]);
  });

  it('a process reads only what the libs it imports read: the business service no queue, worker or engine setting', () => {
    const business = Object.keys(PROCESS_SETTINGS['sample-business-api'].variables);
    // Where the first server is (TENANT_PG_URL, TENANT_PG_HOST) tells it which tenants the pooler forwards to; nothing else of the engine's.
    expect(
      business.filter((name) =>
        /^(QUEUE_|WORKER_|OPERATION_|RECONCILE_|TENANT_MIGRATION_|MIGRATION_|TENANT_PG_(?!URL$|HOST$)|TENANT_POOL_NAME|EXPORT_DIR|TENANTRY_ENV)/.test(name),
      ),
    ).toEqual([]);
    expect(business).toEqual(expect.arrayContaining(['SECRETS_KEY', 'AUTH_ISSUER', 'REDIS_URL', 'DATABASE_URL']));
    // The worker and the migration runner verify no token; the runner opens the credentials of registered servers, which it migrates tenants on.
    expect(Object.keys(PROCESS_SETTINGS['provisioning-worker'].variables).filter((name) => name.startsWith('AUTH_'))).toEqual([]);
    expect(Object.keys(PROCESS_SETTINGS['migration-runner'].variables).filter((name) => name.startsWith('AUTH_'))).toEqual([]);
    expect(Object.keys(PROCESS_SETTINGS['migration-runner'].variables)).toEqual(expect.arrayContaining(['SECRETS_KEY', 'MIGRATION_SERVER_CONCURRENCY']));
  });
});
