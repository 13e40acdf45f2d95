import { authSettings } from '@tenantry/auth';
import { combineSettings, defineSettings, loggingSettings, portVariable, redisSettings, type SettingsOf } from '@tenantry/common';
import { configuredPoolSettings, operationQueueSettings, registrySettings } from '@tenantry/registry';
import { z } from 'zod';

/** The admin API's own settings (the libs it imports have theirs). */
export interface AdminHttpOptions {
  port: number;
  /** Serves the Bull Board page at /queues behind Basic auth; absent, no page. */
  bullBoardPassword?: string;
}

const adminHttpSettings = defineSettings({
  variables: {
    ADMIN_API_PORT: portVariable(3000),
    BULL_BOARD_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  },
  build: (e): AdminHttpOptions => ({ port: e.ADMIN_API_PORT, bullBoardPassword: e.BULL_BOARD_PASSWORD }),
});

/** Everything the admin API reads, each lib's slice under its name: main.ts loads it once. */
export const adminApiSettings = combineSettings({
  logging: loggingSettings,
  redis: redisSettings,
  registry: registrySettings,
  configuredPool: configuredPoolSettings,
  queue: operationQueueSettings,
  auth: authSettings,
  http: adminHttpSettings,
});

export type AdminApiSettings = SettingsOf<typeof adminApiSettings>;
