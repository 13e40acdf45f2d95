import { type DynamicModule, Inject, Module, type ModuleMetadata, type OnApplicationShutdown, type OnModuleInit, type Provider } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AUTH_OPTIONS, JwtAuthGuard, TenantClaimGuard, TokenVerifier } from '@tenantry/auth';
import { withTimeout } from '@tenantry/common';
import { TenantDirectory } from '@tenantry/registry';
import { createSecretProtector, SECRET_PROTECTOR } from '@tenantry/secrets';
import { TenantCacheStore } from '@tenantry/tenant-cache';
import type Redis from 'ioredis';
import type { Pool } from 'pg';
import { TenantConnectionManager } from './connections/tenant-connection-manager';
import { TenantContext } from './context/tenant-context';
import { TenantScopeInterceptor } from './context/tenant-scope.interceptor';
import { TenancyHealth } from './health/tenancy-health';
import { TenantActiveGuard } from './http/tenant-active.guard';
import { TenantInvalidationListener } from './invalidation/tenant-invalidation.listener';
import { TenancyMetrics } from './metrics/tenancy-metrics';
import { createTenancyRedis, createTenantCacheStore, TENANCY_REDIS } from './resolution/tenancy-redis';
import { createDataKeyDirectory, createRegistryPool, createTenantDirectory, TENANCY_REGISTRY_POOL } from './resolution/tenancy-registry';
import { TenantResolver } from './resolution/tenant-resolver';
import { TenantRouteCache } from './resolution/tenant-route.cache';
import { resolveTenancyOptions, TENANCY_OPTIONS, type ResolvedTenancyOptions, type TenancyModuleOptions } from './tenancy-options';

export interface TenancyModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  inject?: Array<string | symbol | (abstract new (...args: never[]) => unknown)>;
  useFactory: (...args: never[]) => TenancyModuleOptions | Promise<TenancyModuleOptions>;
}

const fromOptions = <T>(build: (options: ResolvedTenancyOptions) => T) => ({ useFactory: build, inject: [TENANCY_OPTIONS] });

/**
 * What a business service imports: token -> tenant -> that tenant's DataSource. It brings its own
 * Redis connection, its own small pool to the registry and its own token verification, so an
 * application adds only ClsModule (AsyncLocalStorage) beside it.
 */
@Module({})
export class TenancyModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(TENANCY_REDIS) private readonly redis: Redis,
    @Inject(TENANCY_REGISTRY_POOL) private readonly registryPool: Pool,
  ) {}

  static forRoot(options: TenancyModuleOptions): DynamicModule {
    return TenancyModule.build([], { provide: TENANCY_OPTIONS, useValue: resolveTenancyOptions(options) });
  }

  static forRootAsync(options: TenancyModuleAsyncOptions): DynamicModule {
    return TenancyModule.build(options.imports ?? [], {
      provide: TENANCY_OPTIONS,
      useFactory: async (...args: never[]) => resolveTenancyOptions(await options.useFactory(...args)),
      inject: options.inject ?? [],
    });
  }

  private static build(imports: ModuleMetadata['imports'], optionsProvider: Provider): DynamicModule {
    const exported = [TenantContext, TenantResolver, TenantConnectionManager, TenantActiveGuard, TenantScopeInterceptor, TenancyHealth, TenancyMetrics];
    const auth = [TokenVerifier, JwtAuthGuard, TenantClaimGuard];
    return {
      module: TenancyModule,
      global: true,
      // TerminusModule for the HealthIndicatorService that TenancyHealth reports through.
      imports: [TerminusModule, ...(imports ?? [])],
      providers: [
        optionsProvider,
        { provide: AUTH_OPTIONS, ...fromOptions((o) => o.auth) },
        {
          provide: SECRET_PROTECTOR,
          useFactory: (options: ResolvedTenancyOptions, registryPool: Pool) => createSecretProtector(options.secrets, { dataKeys: createDataKeyDirectory(registryPool) }),
          inject: [TENANCY_OPTIONS, TENANCY_REGISTRY_POOL],
        },
        { provide: TENANCY_REDIS, ...fromOptions(createTenancyRedis) },
        { provide: TENANCY_REGISTRY_POOL, ...fromOptions(createRegistryPool) },
        { provide: TenantDirectory, useFactory: createTenantDirectory, inject: [TENANCY_REGISTRY_POOL] },
        { provide: TenantCacheStore, useFactory: createTenantCacheStore, inject: [TENANCY_REDIS, TENANCY_OPTIONS] },
        TenantRouteCache,
        TenantInvalidationListener,
        ...auth,
        ...exported,
      ],
      exports: [TENANCY_OPTIONS, AUTH_OPTIONS, ...auth, ...exported],
    };
  }

  /** The first requests should find the cache connected; a Redis that is down does not stop the service. */
  async onModuleInit(): Promise<void> {
    if (this.redis.status === 'ready') return;
    await withTimeout(new Promise((resolve) => this.redis.once('ready', resolve)), 2_000, 'connecting to the tenant cache').catch(() => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    this.redis.disconnect();
    await this.registryPool.end();
  }
}
