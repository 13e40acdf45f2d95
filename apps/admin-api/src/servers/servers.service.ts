import { Inject, Injectable } from '@nestjs/common';
import { AZURE_SQL_PORT } from '@tenantry/engines';
import {
  CONFIGURED_POOL_OPTIONS,
  RegistryUnitOfWork,
  serverSecretContext,
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

@Injectable()
export class ServersService {
  constructor(
    private readonly registry: RegistryUnitOfWork,
    @Inject(CONFIGURED_POOL_OPTIONS) private readonly configured: ConfiguredPoolOptions,
    @Inject(SECRET_PROTECTOR) private readonly protector: SecretProtector,
  ) {}

  list(): Promise<ServerUsage[]> {
    return this.registry.repositories.servers.usage();
  }

  /**
   * Registers a server or replaces what is known of it (draining included; a password left out keeps
   * the stored one). Its pools stay: its address cannot move under them, and its limit cannot fall
   * below what they hold together.
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
    await this.registry.transaction(async (r) => {
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
      await r.servers.upsert({ id, name, engine, host, port, region, maxDatabases, ...credential, draining: input.draining ?? false });
      await this.audit(r, actor, {
        name,
        engine,
        host,
        port,
        region,
        maxDatabases,
        credential: credential.credentialKind,
        login: credential.login,
        draining: input.draining ?? false,
      });
    });
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

  private audit(r: RegistryRepositories, actor: Actor, details: Record<string, unknown>): Promise<void> {
    return r.audit.record({ actor, action: 'server.register', details });
  }
}
