import { Inject, Injectable } from '@nestjs/common';
import type { PoolAddress } from '@tenantry/common';
import { ServerNotReachable, type RegisteredServerAccess, type ServerCredentialSource } from '@tenantry/engines';
import { SECRET_PROTECTOR, type SecretProtector } from '@tenantry/secrets';
import { serverPoolerSecretContext, serverSecretContext } from '../entities/database-server.entity';
import { RegistryUnitOfWork } from '../registry-unit-of-work';

/** The engines' credentials for registered servers: the registry's row, its passwords unprotected only here, in the process that uses them. */
@Injectable()
export class RegisteredServerCredentials implements ServerCredentialSource {
  /** The last secret opened per server and context: engines ask again every few seconds, and a secret only changes with PUT /servers. */
  private readonly opened = new Map<string, { secret: string; password: Promise<string> }>();

  constructor(
    private readonly registry: RegistryUnitOfWork,
    @Inject(SECRET_PROTECTOR) private readonly protector: SecretProtector,
  ) {}

  async postgresAccess(address: PoolAddress): Promise<RegisteredServerAccess | null> {
    const { host, port } = address;
    const server = await this.registry.repositories.servers.findByAddress('postgres', host, port);
    if (!server) throw new ServerNotReachable(`no postgres server is registered at ${host}:${port} (see GET /servers)`);
    if (server.credentialKind === 'configured') return null;
    if (server.credentialKind !== 'password' || !server.login || !server.secret) {
      throw new ServerNotReachable(`server ${server.name} has no login and password for the control plane (PUT /servers/${server.name})`);
    }
    const { poolerHost, poolerPort, poolerAdminLogin, poolerAdminSecret } = server;
    return {
      adminUrl: signInUrl(host, port, 'postgres', server.login, await this.password(server.secret, serverSecretContext(server.id))),
      poolerAdminUrl:
        poolerHost === null || poolerPort === null || poolerAdminLogin === null || poolerAdminSecret === null
          ? null
          : signInUrl(poolerHost, poolerPort, 'pgbouncer', poolerAdminLogin, await this.password(poolerAdminSecret, serverPoolerSecretContext(server.id))),
    };
  }

  private password(secret: string, context: string): Promise<string> {
    const known = this.opened.get(context);
    if (known?.secret === secret) return known.password;
    const password = this.protector.unprotect(secret, context);
    this.opened.set(context, { secret, password });
    password.catch(() => this.opened.get(context)?.password === password && this.opened.delete(context));
    return password;
  }
}

function signInUrl(host: string, port: number, database: string, login: string, password: string): string {
  const url = new URL(`postgres://${host}:${port}/${database}`);
  url.username = encodeURIComponent(login);
  url.password = encodeURIComponent(password);
  return url.toString();
}
