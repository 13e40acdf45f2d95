import type { PoolAddress } from '@tenantry/common';
import type { DatabaseServerEntity, RegistryRepositories } from '../src';

/** The id of the server registered at `address` (registered by this call when absent), for a test that registers pools on it directly. */
export async function testServerId(
  r: RegistryRepositories,
  address: Pick<PoolAddress, 'engine' | 'host' | 'port'>,
  extra: Partial<Pick<DatabaseServerEntity, 'name' | 'region' | 'draining' | 'maxDatabases'>> = {},
): Promise<string> {
  const { engine, host, port } = address;
  const server = await r.servers.insertIfAbsent({
    name: extra.name ?? `${engine}-${host.replace(/[^a-z0-9]/g, '-')}-${port}`.slice(0, 40),
    engine,
    host,
    port,
    region: extra.region ?? 'local',
    maxDatabases: extra.maxDatabases ?? 5_000,
    credentialKind: engine === 'postgres' ? 'configured' : 'managed-identity',
    login: null,
    secret: null,
    draining: extra.draining ?? false,
  });
  if (!server) throw new Error(`a test server named like the one at ${host}:${port} is registered elsewhere`);
  return server.id;
}
