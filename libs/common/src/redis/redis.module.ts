import { type DynamicModule, Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { redisOptionsFromUrl, type RedisConnectionOptions } from './redis-options';

export const REDIS_CLIENT = Symbol('REDIS_CLIENT');

/** The cache connection: fails fast (one retry) so a Redis outage degrades to the registry instead of hanging requests. */
@Global()
@Module({})
export class RedisModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS_CLIENT) private readonly redis: Redis) {}

  static forRoot(options: RedisConnectionOptions): DynamicModule {
    return {
      module: RedisModule,
      providers: [
        {
          provide: REDIS_CLIENT,
          useFactory: () =>
            new Redis(
              redisOptionsFromUrl(options.url, {
                keyPrefix: options.keyPrefix,
                maxRetriesPerRequest: 1,
                connectTimeout: 2000,
                commandTimeout: 1000,
              }),
            ),
        },
      ],
      exports: [REDIS_CLIENT],
    };
  }

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}
