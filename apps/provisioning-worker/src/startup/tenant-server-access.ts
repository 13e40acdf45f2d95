import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { EngineRegistry } from '@tenantry/engines';
import { CONFIGURED_POOL_OPTIONS, type ConfiguredPoolOptions } from '@tenantry/registry';

/**
 * Closes the configured tenant server's own databases to PUBLIC when the worker starts, so logins
 * made by an earlier version lose that access too. Not awaited: a server that does not answer yet
 * must not stop the worker; the engine does it again before it creates the next login.
 */
@Injectable()
export class TenantServerAccess implements OnApplicationBootstrap {
  private readonly logger = new Logger(TenantServerAccess.name);

  constructor(
    private readonly engines: EngineRegistry,
    @Inject(CONFIGURED_POOL_OPTIONS) private readonly configuredPool: ConfiguredPoolOptions,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.configuredPool.register) return;
    this.engines
      .get('postgres')
      .secureServer()
      .catch((error: unknown) => this.logger.warn({ err: error }, 'could not close the tenant server to PUBLIC yet; tried again before the next login is made'));
  }
}
