import type { PoolAddress } from '@tenantry/common';
import { EngineRegistry } from './engine-registry';
import type { TenantDatabaseEngine } from './tenant-database-engine';

const fakeEngine = (kind: TenantDatabaseEngine['kind'], url = 'configured') => {
  const closed = jest.fn(async () => undefined);
  return Object.assign({ kind, url, closed, close: () => closed() }) as unknown as TenantDatabaseEngine & { url: string; closed: jest.Mock };
};

const at = (host: string, port = 5432, engine: PoolAddress['engine'] = 'postgres'): PoolAddress => ({ engine, host, port, elasticPoolId: null, location: null });

describe('EngineRegistry.on: the engine of each registered server', () => {
  const configured = fakeEngine('postgres');
  const azure = fakeEngine('azure-sql');
  let urls: Record<string, string | null>;
  const registry = new EngineRegistry([configured, azure], {
    credentials: { postgresAdminUrl: async ({ host }) => urls[host] },
    connect: (adminUrl) => fakeEngine('postgres', adminUrl),
  });

  beforeEach(() => {
    urls = { configured: null, b: 'postgres://admin:one@b:5432/postgres' };
  });

  it('answers the configured engine for the configured server and for every Azure SQL server', async () => {
    expect(await registry.on(at('configured'))).toBe(configured);
    expect(await registry.on(at('sql-1.database.windows.net', 1433, 'azure-sql'))).toBe(azure);
  });

  it('makes one engine per server, signed in with its credential, and a new one when the credential changes', async () => {
    const first = (await registry.on(at('b'))) as ReturnType<typeof fakeEngine>;
    expect(first.url).toBe('postgres://admin:one@b:5432/postgres');
    expect(await registry.on(at('b'))).toBe(first);
    urls.b = 'postgres://admin:two@b:5432/postgres';
    const second = (await registry.on(at('b'))) as ReturnType<typeof fakeEngine>;
    expect(second).not.toBe(first);
    expect(second.url).toBe('postgres://admin:two@b:5432/postgres');
    expect(first.closed).toHaveBeenCalled();
  });

  it('without registered servers, is the engine of the kind', async () => {
    expect(await new EngineRegistry([configured]).on(at('anywhere'))).toBe(configured);
  });
});
