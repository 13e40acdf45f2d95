import { z } from 'zod';
import { defineSettings } from '../config/settings';

export interface LoggingOptions {
  level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export const loggingSettings = defineSettings({
  variables: { LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') },
  build: (e): LoggingOptions => ({ level: e.LOG_LEVEL }),
});
