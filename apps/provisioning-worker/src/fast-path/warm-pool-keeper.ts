import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { EngineRegistry } from '@tenantry/engines';
import { WORKER_OPTIONS, type WorkerOptions } from '../worker-settings';

// Refilling is a CREATE DATABASE per spare: done off the hot path, once claims pause, unless the pool runs low.
const QUIET_MS = 1000;
const LOW_WATER = 0.25;

/** Builds the current template at start-up and keeps WARM_POOL_SIZE spare databases ready. */
@Injectable()
export class WarmPoolKeeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WarmPoolKeeper.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private lastClaimAt = 0;
  private stopped = false;

  constructor(
    private readonly engines: EngineRegistry,
    @Inject(WORKER_OPTIONS) private readonly options: WorkerOptions,
  ) {}

  onApplicationBootstrap(): void {
    const { templateEnabled, warmPoolSize } = this.options;
    if (!templateEnabled && warmPoolSize === 0) return;
    this.start(() => this.refill());
    if (warmPoolSize > 0) {
      this.timer = setInterval(() => this.start(() => this.refillWhenDue()), 500);
      this.timer.unref();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** A spare was just taken: refilling waits until claims pause, so it does not slow the onboardings under way. */
  noteClaim(): void {
    this.lastClaimAt = Date.now();
  }

  private start(work: () => Promise<void>): void {
    if (this.stopped || this.running) return;
    this.running = work().finally(() => (this.running = undefined));
  }

  private async refillWhenDue(): Promise<void> {
    const fastPath = this.engines.get('postgres').fastPath;
    if (!fastPath) return;
    const size = this.options.warmPoolSize;
    const quiet = Date.now() - this.lastClaimAt >= QUIET_MS;
    if (quiet || (await fastPath.spareCount(this.options.environment)) < size * LOW_WATER) await this.refill();
  }

  private async refill(): Promise<void> {
    const fastPath = this.engines.get('postgres').fastPath;
    if (!fastPath) return;
    const { environment: env, warmPoolSize } = this.options;
    try {
      const template = await fastPath.ensureTemplate(env);
      const made = warmPoolSize > 0 ? await fastPath.refillSpares(env, warmPoolSize) : 0;
      if (made > 0) this.logger.log({ template, made }, `warm pool refilled with ${made} spare databases`);
    } catch (error) {
      this.logger.warn({ err: error }, 'template or warm pool refill failed; provisioning falls back to the plain path');
    }
  }
}
