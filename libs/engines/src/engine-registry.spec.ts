import type { PoolAddress } from '@tenantry/common';
import { EngineRegistry } from './engine-registry';
import type { TenantDatabaseEngine } from './tenant-database-engine';

const fakeEngine = (kind: TenantDatabaseEngine['kind'], url = 'configured', pooler: string | null = null) => {
  const closed = jest.fn(async () => undefined);
  return Object.assign({ kind, url, pooler, closed, close: () => closed() }) as unknown as TenantDatabaseEngine & {
    url: string;
    pooler: string | null;
    closed: jest.Mock;
  };
};

const at = (host: string, port = 5432, engine: PoolAddress['engine'] = 'postgres'): PoolAddress => ({ engine, host, port, elasticPoolId: null, location: null });

describe('EngineRegistry.on: the engine of each registered server', () => {
  const configured = fakeEngine('postgres');
  const azure = fakeEngine('azure-sql');
  let urls: Record<string, string | null>;
  let poolers: Record<string, string>;
  const reads = jest.fn(async ({ host }: PoolAddress) => {
    const url = urls[host];
    if (url === undefined) throw new Error(`no server at ${host}`);
    return url === null ? null : { adminUrl: url, poolerAdminUrl: poolers[host] ?? null };
  });
  const registry = new EngineRegistry([configured, azure], {
    credentials: { postgresAccess: reads },
    connect: ({ adminUrl, poolerAdminUrl }) => fakeEngine('postgres', adminUrl, poolerAdminUrl),
  });
  let now = 0;
  // Past the time a read credential is kept, so each test starts from the registry's row.
  const later = () => (now += 60_000);

  beforeEach(() => {
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    later();
    reads.mockClear();
    urls = { configured: null, b: 'postgres://admin:one@b:5432/postgres' };
    poolers = {};
  });

  afterEach(() => jest.restoreAllMocks());

  it('answers the configured engine for the configured server and for every Azure SQL server', async () => {
    expect(await registry.on(at('configured'))).toBe(configured);
    expect(await registry.on(at('sql-1.database.windows.net', 1433, 'azure-sql'))).toBe(azure);
  });

  it('makes one engine per server, signed in with its credential, and a new one when the credential changes', async () => {
    const first = (await registry.on(at('b'))) as ReturnType<typeof fakeEngine>;
    expect(first.url).toBe('postgres://admin:one@b:5432/postgres');
    expect(await registry.on(at('b'))).toBe(first);
    urls.b = 'postgres://admin:two@b:5432/postgres';
    later();
    const second = (await registry.on(at('b'))) as ReturnType<typeof fakeEngine>;
    expect(second).not.toBe(first);
    expect(second.url).toBe('postgres://admin:two@b:5432/postgres');
    expect(first.closed).toHaveBeenCalled();
  });

  it('makes a new engine, with the console, when a pooler is registered in front of the server', async () => {
    const direct = (await registry.on(at('b'))) as ReturnType<typeof fakeEngine>;
    expect(direct.pooler).toBeNull();
    poolers.b = 'postgres://pooler_admin:p@pgbouncer-b:6432/pgbouncer';
    later();
    const pooled = (await registry.on(at('b'))) as ReturnType<typeof fakeEngine>;
    expect(pooled).not.toBe(direct);
    expect(pooled.pooler).toBe('postgres://pooler_admin:p@pgbouncer-b:6432/pgbouncer');
    expect(direct.closed).toHaveBeenCalled();
  });

  it("reads a server's credential once for the operations of the next few seconds, then again", async () => {
    const first = await Promise.all([registry.on(at('b')), registry.on(at('b'))]);
    expect(await registry.on(at('configured'))).toBe(configured);
    now += 1_000;
    expect(await registry.on(at('b'))).toBe(first[0]);
    expect(await registry.on(at('configured'))).toBe(configured);
    expect(reads.mock.calls.map(([{ host }]) => host)).toEqual(['b', 'configured']);

    urls.b = 'postgres://admin:two@b:5432/postgres';
    expect(await registry.on(at('b'))).toBe(first[0]);
    now += 60_000;
    const changed = (await registry.on(at('b'))) as ReturnType<typeof fakeEngine>;
    expect(changed.url).toBe('postgres://admin:two@b:5432/postgres');
    expect(reads).toHaveBeenCalledTimes(3);
  });

  it('keeps no failed read: the next operation reads the registry again', async () => {
    await expect(registry.on(at('c'))).rejects.toThrow('no server at c');
    urls.c = 'postgres://admin:one@c:5432/postgres';
    expect(((await registry.on(at('c'))) as ReturnType<typeof fakeEngine>).url).toBe('postgres://admin:one@c:5432/postgres');
    expect(reads).toHaveBeenCalledTimes(2);
  });

  it('without registered servers, is the engine of the kind', async () => {
    expect(await new EngineRegistry([configured]).on(at('anywhere'))).toBe(configured);
  });
});
