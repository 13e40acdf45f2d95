import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { EngineRegistry, type FastPathEngine } from '@tenantry/engines';
import { RegistryUnitOfWork, serverAddress } from '@tenantry/registry';
import { WORKER_OPTIONS, type WorkerOptions } from '../worker-settings';

// Refilling is a CREATE DATABASE per spare: done off the hot path, once claims pause, unless the pool runs low.
const QUIET_MS = 1000;
const LOW_WATER = 0.25;

/**
 * Builds the current template at start-up and keeps WARM_POOL_SIZE spare databases ready, on every
 * registered PostgreSQL server that is not draining (a tenant is cloned on the server it is placed
 * on). One server that fails is logged and skipped; the others are still refilled.
 */
@Injectable()
export class WarmPoolKeeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WarmPoolKeeper.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private lastClaimAt = 0;
  private stopped = false;

  constructor(
    private readonly engines: EngineRegistry,
    private readonly registry: RegistryUnitOfWork,
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
    const quiet = Date.now() - this.lastClaimAt >= QUIET_MS;
    await this.eachServer(async (server, fastPath) => {
      if (quiet || (await fastPath.spareCount(this.options.environment)) < this.options.warmPoolSize * LOW_WATER) await this.refillOn(server, fastPath);
    });
  }

  private refill(): Promise<void> {
    return this.eachServer((server, fastPath) => this.refillOn(server, fastPath));
  }

  private async refillOn(server: string, fastPath: FastPathEngine): Promise<void> {
    const { environment: env, warmPoolSize } = this.options;
    const template = await fastPath.ensureTemplate(env);
    const made = warmPoolSize > 0 ? await fastPath.refillSpares(env, warmPoolSize) : 0;
    if (made > 0) this.logger.log({ server, template, made }, `warm pool of server ${server} refilled with ${made} spare databases`);
  }

  private async eachServer(work: (server: string, fastPath: FastPathEngine) => Promise<void>): Promise<void> {
    let servers;
    try {
      servers = await this.registry.repositories.servers.byEngine('postgres');
    } catch (error) {
      this.logger.warn({ err: error }, 'could not list the servers to refill: the registry did not answer');
      return;
    }
    for (const server of servers.filter((candidate) => !candidate.draining)) {
      if (this.stopped) return;
      try {
        const fastPath = (await this.engines.on(serverAddress(server))).fastPath;
        if (fastPath) await work(server.name, fastPath);
      } catch (error) {
        this.logger.warn(
          { err: error, server: server.name },
          `template or warm pool refill failed on server ${server.name}; provisioning there falls back to the plain path`,
        );
      }
    }
  }
}
