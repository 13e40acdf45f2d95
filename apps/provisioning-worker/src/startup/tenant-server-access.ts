import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@tenantry/common';
import { EngineRegistry } from '@tenantry/engines';

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
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.tenantServer.register) return;
    this.engines
      .get('postgres')
      .secureServer()
      .catch((error: unknown) => this.logger.warn({ err: error }, 'could not close the tenant server to PUBLIC yet; tried again before the next login is made'));
  }
}
