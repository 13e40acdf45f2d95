import { Inject, Injectable } from '@nestjs/common';
import type { PoolAddress } from '@tenantry/common';
import { ServerNotReachable, type ServerCredentialSource } from '@tenantry/engines';
import { SECRET_PROTECTOR, type SecretProtector } from '@tenantry/secrets';
import { serverSecretContext } from '../entities/database-server.entity';
import { RegistryUnitOfWork } from '../registry-unit-of-work';

/** The engines' credentials for registered servers: the registry's row, its password unprotected only here, in the process that uses it. */
@Injectable()
export class RegisteredServerCredentials implements ServerCredentialSource {
  /** The last secret opened per server: engines ask again every few seconds, and a secret only changes with PUT /servers. */
  private readonly opened = new Map<string, { secret: string; password: Promise<string> }>();

  constructor(
    private readonly registry: RegistryUnitOfWork,
    @Inject(SECRET_PROTECTOR) private readonly protector: SecretProtector,
  ) {}

  async postgresAdminUrl(address: PoolAddress): Promise<string | null> {
    const { host, port } = address;
    const server = await this.registry.repositories.servers.findByAddress('postgres', host, port);
    if (!server) throw new ServerNotReachable(`no postgres server is registered at ${host}:${port} (see GET /servers)`);
    if (server.credentialKind === 'configured') return null;
    if (server.credentialKind !== 'password' || !server.login || !server.secret) {
      throw new ServerNotReachable(`server ${server.name} has no login and password for the control plane (PUT /servers/${server.name})`);
    }
    const url = new URL(`postgres://${host}:${port}/postgres`);
    url.username = encodeURIComponent(server.login);
    url.password = encodeURIComponent(await this.password(server.id, server.secret));
    return url.toString();
  }

  private password(serverId: string, secret: string): Promise<string> {
    const known = this.opened.get(serverId);
    if (known?.secret === secret) return known.password;
    const password = this.protector.unprotect(secret, serverSecretContext(serverId));
    this.opened.set(serverId, { secret, password });
    password.catch(() => this.opened.get(serverId)?.password === password && this.opened.delete(serverId));
    return password;
  }
}
