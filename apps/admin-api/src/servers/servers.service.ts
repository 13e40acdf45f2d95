import { Inject, Injectable } from '@nestjs/common';
import { AZURE_SQL_PORT } from '@tenantry/engines';
import {
  CONFIGURED_POOL_OPTIONS,
  RegistryUnitOfWork,
  serverPoolerSecretContext,
  serverSecretContext,
  TenantCacheInvalidator,
  type ConfiguredPoolOptions,
  type DatabaseServerEntity,
  type RegistryRepositories,
  type ServerRegistration,
  type ServerUsage,
} from '@tenantry/registry';
import { SECRET_PROTECTOR, type SecretProtector } from '@tenantry/secrets';
import { randomUUID } from 'node:crypto';
import type { Actor } from '../tenants/actor';
import type { RegisterServerDto } from './dto/register-server.dto';
import { InvalidServer, ServerCapacityExceeded } from './server-errors';

// "Maximum databases per logical server: 5000" (https://learn.microsoft.com/azure/azure-sql/database/resource-limits-logical-server).
const AZURE_LOGICAL_SERVER_MAX_DATABASES = 5_000;

type ServerCredential = Pick<ServerRegistration, 'credentialKind' | 'login' | 'secret'>;
type ServerPooler = Required<Pick<ServerRegistration, 'poolerHost' | 'poolerPort' | 'poolerAdminLogin' | 'poolerAdminSecret'>>;

const NO_POOLER: ServerPooler = { poolerHost: null, poolerPort: null, poolerAdminLogin: null, poolerAdminSecret: null };

// Invalidations in flight at once when a server's pooler changes: a server holds up to a few thousand tenants.
const INVALIDATION_CONCURRENCY = 16;

@Injectable()
export class ServersService {
  constructor(
    private readonly registry: RegistryUnitOfWork,
    @Inject(CONFIGURED_POOL_OPTIONS) private readonly configured: ConfiguredPoolOptions,
    @Inject(SECRET_PROTECTOR) private readonly protector: SecretProtector,
    private readonly invalidator: TenantCacheInvalidator,
  ) {}

  list(): Promise<ServerUsage[]> {
    return this.registry.repositories.servers.usage();
  }

  /**
   * Registers a server or replaces what is known of it (draining included; a password left out keeps
   * the stored one). Its pools stay: its address cannot move under them, and its limit cannot fall
   * below what they hold together. A changed pooler reaches business services through each tenant's
   * cache invalidation: the tenants on the server resolve again, through the new one.
   */
  async register(name: string, input: RegisterServerDto, actor: Actor): Promise<ServerUsage> {
    const { engine, host, region, maxDatabases } = input;
    const port = input.port ?? (engine === 'azure-sql' ? AZURE_SQL_PORT : undefined);
    if (port === undefined) throw new InvalidServer('a postgres server needs its port');
    if (engine === 'azure-sql' && maxDatabases > AZURE_LOGICAL_SERVER_MAX_DATABASES) {
      throw new InvalidServer(
        `maxDatabases ${maxDatabases} is more than an Azure SQL logical server holds (${AZURE_LOGICAL_SERVER_MAX_DATABASES}, https://learn.microsoft.com/azure/azure-sql/database/resource-limits-logical-server)`,
      );
    }
    const rerouted = await this.registry.transaction(async (r) => {
      const existing = await r.servers.findByName(name, true);
      const allotted = existing ? await r.servers.allotted(existing.id) : 0;
      if (existing && allotted > 0 && (existing.engine !== engine || existing.host !== host || existing.port !== port)) {
        throw new ServerCapacityExceeded(`server ${name} has pools: its engine, host and port cannot change under them`);
      }
      if (allotted > maxDatabases) {
        throw new ServerCapacityExceeded(`server ${name}'s pools hold ${allotted} databases together: its limit cannot be lower (lower their capacities first)`);
      }
      const id = existing?.id ?? randomUUID();
      const credential = await this.credential(id, { ...input, port }, existing);
      const pooler = await this.pooler(id, input, credential, existing);
      await r.servers.upsert({ id, name, engine, host, port, region, maxDatabases, ...credential, ...pooler, draining: input.draining ?? false });
      await this.audit(r, actor, {
        name,
        engine,
        host,
        port,
        region,
        maxDatabases,
        credential: credential.credentialKind,
        login: credential.login,
        pooler: pooler.poolerHost === null ? null : { host: pooler.poolerHost, port: pooler.poolerPort, adminLogin: pooler.poolerAdminLogin },
        draining: input.draining ?? false,
      });
      const moved = existing?.poolerHost !== pooler.poolerHost || existing?.poolerPort !== pooler.poolerPort;
      return existing && moved ? r.databases.tenantIdsOnServer({ engine, host, port }) : [];
    });
    await this.invalidate(rerouted);
    return (await this.list()).find(({ server }) => server.name === name) as ServerUsage;
  }

  /** The configured server keeps the process's own URL; otherwise a managed identity, or a login whose password is protected. */
  private async credential(id: string, input: RegisterServerDto & { port: number }, existing: DatabaseServerEntity | null): Promise<ServerCredential> {
    const { engine, host, port, login, password, managedIdentity } = input;
    if (engine === 'postgres' && this.configured.register && host === this.configured.host && port === this.configured.port) {
      if (login || password) throw new InvalidServer(`${host}:${port} is the configured server (TENANT_PG_URL): the control plane uses that URL's credential on it`);
      return { credentialKind: 'configured', login: null, secret: null };
    }
    if (managedIdentity) {
      if (engine !== 'azure-sql') throw new InvalidServer('managedIdentity is for azure-sql servers');
      return { credentialKind: 'managed-identity', login: null, secret: null };
    }
    if (password) {
      if (!login) throw new InvalidServer('a password needs its login');
      return { credentialKind: 'password', login, secret: await this.protector.protect(password, serverSecretContext(id)) };
    }
    if (existing?.credentialKind === 'password' && (!login || login === existing.login)) {
      return { credentialKind: 'password', login: existing.login, secret: existing.secret };
    }
    throw new InvalidServer(
      engine === 'postgres'
        ? 'a postgres server needs the login and password the control plane uses on it'
        : 'an azure-sql server needs managedIdentity: true, or a login and password',
    );
  }

  /** Left out: the registered one stays; null: none. The configured server's console is TENANT_PG_POOLER_ADMIN_URL, another's a login and a protected password. */
  private async pooler(id: string, input: RegisterServerDto, credential: ServerCredential, existing: DatabaseServerEntity | null): Promise<ServerPooler> {
    if (input.pooler === undefined) {
      if (input.engine !== 'postgres' || existing?.engine !== 'postgres') return NO_POOLER;
      const { poolerHost, poolerPort, poolerAdminLogin, poolerAdminSecret } = existing;
      return { poolerHost, poolerPort, poolerAdminLogin, poolerAdminSecret };
    }
    if (!input.pooler) return NO_POOLER;
    if (input.engine !== 'postgres') {
      throw new InvalidServer('pooler is for postgres servers: Azure SQL has no PgBouncer (its tenants are pooled per process under TENANT_MAX_CONNECTIONS)');
    }
    const { host, port, adminLogin, adminPassword } = input.pooler;
    const address = { poolerHost: host, poolerPort: port };
    if (credential.credentialKind === 'configured') {
      if (adminLogin || adminPassword) {
        throw new InvalidServer(`this is the configured server (TENANT_PG_URL): the control plane signs in to its pooler's console with TENANT_PG_POOLER_ADMIN_URL`);
      }
      return { ...address, poolerAdminLogin: null, poolerAdminSecret: null };
    }
    if (adminPassword) {
      if (!adminLogin) throw new InvalidServer('pooler.adminPassword needs its pooler.adminLogin');
      return { ...address, poolerAdminLogin: adminLogin, poolerAdminSecret: await this.protector.protect(adminPassword, serverPoolerSecretContext(id)) };
    }
    if (existing?.poolerAdminSecret && (!adminLogin || adminLogin === existing.poolerAdminLogin)) {
      return { ...address, poolerAdminLogin: existing.poolerAdminLogin, poolerAdminSecret: existing.poolerAdminSecret };
    }
    throw new InvalidServer(
      "a pooler needs pooler.adminLogin and pooler.adminPassword: a login of its admin_users, with which the control plane closes a rotated, suspended or offboarded login's pooled connections",
    );
  }

  private async invalidate(tenantIds: string[]): Promise<void> {
    const queue = [...tenantIds];
    const drain = async () => {
      for (let id = queue.pop(); id !== undefined; id = queue.pop()) await this.invalidator.invalidate(id);
    };
    await Promise.all(Array.from({ length: INVALIDATION_CONCURRENCY }, drain));
  }

  private audit(r: RegistryRepositories, actor: Actor, details: Record<string, unknown>): Promise<void> {
    return r.audit.record({ actor, action: 'server.register', details });
  }
}
