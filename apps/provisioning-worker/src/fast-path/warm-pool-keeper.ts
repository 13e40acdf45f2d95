import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@tenantry/common';
import { EngineRegistry } from '@tenantry/engines';

/** Builds the current template at start-up and keeps WARM_POOL_SIZE spare databases ready, refilling in the background. */
@Injectable()
export class WarmPoolKeeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WarmPoolKeeper.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly engines: EngineRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    const { templateEnabled, warmPoolSize } = this.config.worker;
    if (!templateEnabled && warmPoolSize === 0) return;
    this.kick();
    if (warmPoolSize > 0) {
      this.timer = setInterval(() => this.kick(), 2000);
      this.timer.unref();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** Starts a refill unless one is under way. */
  kick(): void {
    if (this.stopped || this.running) return;
    this.running = this.refill().finally(() => (this.running = undefined));
  }

  private async refill(): Promise<void> {
    const fastPath = this.engines.get('postgres').fastPath;
    if (!fastPath) return;
    const { env } = this.config;
    try {
      const template = await fastPath.ensureTemplate(env);
      const made = this.config.worker.warmPoolSize > 0 ? await fastPath.refillSpares(env, this.config.worker.warmPoolSize) : 0;
      if (made > 0) this.logger.log({ template, made }, `warm pool refilled with ${made} spare databases`);
    } catch (error) {
      this.logger.warn({ err: error }, 'template or warm pool refill failed; provisioning falls back to the plain path');
    }
  }
}
