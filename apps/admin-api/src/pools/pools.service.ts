import { Inject, Injectable } from '@nestjs/common';
import { InvalidPoolAddress } from '@tenantry/common';
import { CONFIGURED_POOL_OPTIONS, RegistryUnitOfWork, type ConfiguredPoolOptions, type PoolUsage, type RegistryRepositories } from '@tenantry/registry';
import { ServerCapacityExceeded, ServerNotRegistered } from '../servers/server-errors';
import type { Actor } from '../tenants/actor';
import type { RegisterPoolDto } from './dto/register-pool.dto';
import { poolAddress } from './pool-address';
import { ConfiguredPoolNotRemovable, PoolInUse, PoolNotFound } from './pool-errors';

@Injectable()
export class PoolsService {
  constructor(
    private readonly registry: RegistryUnitOfWork,
    @Inject(CONFIGURED_POOL_OPTIONS) private readonly configuredPool: ConfiguredPoolOptions,
  ) {}

  list(): Promise<PoolUsage[]> {
    return this.registry.repositories.pools.usage();
  }

  /**
   * Registers a pool on a registered server or changes its capacity. The server's row stays locked
   * to the end, so two registrations never share out the same room: its pools' capacities together
   * stay within its limit, and admission, counting per pool, never passes it.
   */
  async register(name: string, input: RegisterPoolDto, actor: Actor): Promise<PoolUsage> {
    await this.registry.transaction(async (r) => {
      const server = await this.serverOf(r, input);
      const address = poolAddress(input, server);
      if (address.host !== server.host || address.port !== server.port) {
        throw new InvalidPoolAddress(`the pool's address ${address.host}:${address.port} is not server ${server.name}'s (${server.host}:${server.port})`);
      }
      const allotted = await r.servers.allotted(server.id, name);
      if (allotted + input.maxDatabases > server.maxDatabases) {
        throw new ServerCapacityExceeded(
          `server ${server.name} holds ${server.maxDatabases} databases and its other pools take ${allotted}: room for ${Math.max(0, server.maxDatabases - allotted)} more, not ${input.maxDatabases} (raise its limit with PUT /servers/${server.name})`,
        );
      }
      await r.pools.upsert({ name, serverId: server.id, address, maxDatabases: input.maxDatabases, dedicated: input.dedicated ?? false });
      await r.audit.record({ actor, action: 'pool.register', details: { name, ...input, server: server.name } });
    });
    return (await this.list()).find(({ pool }) => pool.name === name) as PoolUsage;
  }

  /** The named server, else the one registered where the pool's address says (locked either way). */
  private async serverOf(r: RegistryRepositories, input: RegisterPoolDto) {
    if (input.server) {
      const named = await r.servers.findByName(input.server, true);
      if (!named) throw new ServerNotRegistered(`server "${input.server}" is not registered (see GET /servers)`);
      return named;
    }
    const { engine, host, port } = poolAddress(input);
    const server = await r.servers.findByAddress(engine, host, port, true);
    if (!server) throw new ServerNotRegistered(`no ${engine} server is registered at ${host}:${port}: register it first with PUT /servers/:name`);
    return server;
  }

  /**
   * Removes a pool no tenant needs. Its row stays locked to the end, and taking a slot in it updates
   * that row, so no tenant is accepted for it or placed on it between the check and the delete.
   */
  async remove(name: string, actor: Actor): Promise<void> {
    await this.registry.transaction(async (r) => {
      const pool = await r.pools.lockByName(name);
      if (!pool) throw new PoolNotFound(name);
      if (this.configuredPool.register && name === this.configuredPool.name) throw new ConfiguredPoolNotRemovable(name);
      const tenants = await r.pools.tenantsUsing(pool);
      if (tenants.length > 0) throw new PoolInUse(name, tenants);
      await r.pools.remove(pool);
      const { address, maxDatabases, dedicated } = pool;
      await r.audit.record({ actor, action: 'pool.remove', details: { name, ...address, maxDatabases, dedicated } });
    });
  }
}
