import { authSettings } from '@tenantry/auth';
import {
  combineSettings,
  csvVariable,
  defineSettings,
  environmentSettings,
  loggingSettings,
  mapSettings,
  portVariable,
  redisSettings,
  type EngineKind,
  type SettingsOf,
} from '@tenantry/common';
import { configuredEngineKinds, enginesSettings } from '@tenantry/engines';
import { configuredPoolSettings, operationQueueSettings, registrySettings, retentionSettings, slotReservationSettings } from '@tenantry/registry';
import { secretsSettings } from '@tenantry/secrets';
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

/** The plans and regions a tenant may have; the first of each is what a tenant that names none gets. */
export interface TenantCatalogue {
  plans: string[];
  regions: string[];
}

/** What POST /tenants admits, and among which pools it places a tenant that names none. */
export interface AdmissionOptions {
  catalogue: TenantCatalogue;
  /** The engines the workers drive, from the same engine settings: automatic placement chooses among their pools only. */
  engines: EngineKind[];
}

export const ADMISSION_OPTIONS = Symbol('ADMISSION_OPTIONS');

/** TENANTRY_ENV: in the names of the databases restores make. */
export const TENANTRY_ENVIRONMENT = Symbol('TENANTRY_ENVIRONMENT');

// A plan or region is stored on the tenant row and shown by the API: the shape of a word, at most 32 characters.
const catalogueVariable = (fallback: string) =>
  csvVariable(fallback).pipe(
    z.array(z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'each must be a lowercase word of at most 32 characters (letters, digits, -)')).min(1, 'must name at least one'),
  );

const admissionSettings = mapSettings(
  combineSettings({
    catalogue: defineSettings({
      variables: { TENANT_PLANS: catalogueVariable('standard'), TENANT_REGIONS: catalogueVariable('local') },
      build: (e): TenantCatalogue => ({ plans: e.TENANT_PLANS, regions: e.TENANT_REGIONS }),
    }),
    engines: enginesSettings,
  }),
  ({ catalogue, engines }): AdmissionOptions => ({ catalogue, engines: configuredEngineKinds(engines) }),
);

/** Rebalancing's defaults, when a request names none: the fill above which a pool or server has tenants moved out, and how many moves may run at once. */
export interface RebalanceOptions {
  thresholdPercent: number;
  concurrentMoves: number;
}

export const REBALANCE_OPTIONS = Symbol('REBALANCE_OPTIONS');

/** Each move holds a worker slot and copies a database for a while: past a few dozen at once the fleet's servers, not the cap, set the pace. */
export const MAX_CONCURRENT_MOVES = 50;

const rebalanceSettings = defineSettings({
  variables: {
    REBALANCE_FILL_PERCENT: z.coerce.number().int('must be a whole percentage').min(1).max(100).default(80),
    REBALANCE_CONCURRENT_MOVES: z.coerce.number().int().min(1).max(MAX_CONCURRENT_MOVES).default(2),
  },
  build: (e): RebalanceOptions => ({ thresholdPercent: e.REBALANCE_FILL_PERCENT, concurrentMoves: e.REBALANCE_CONCURRENT_MOVES }),
});

/** Everything the admin API reads, each lib's slice under its name: main.ts loads it once. */
export const adminApiSettings = combineSettings({
  environment: environmentSettings,
  logging: loggingSettings,
  redis: redisSettings,
  registry: registrySettings,
  configuredPool: configuredPoolSettings,
  slotReservation: slotReservationSettings,
  retention: retentionSettings,
  queue: operationQueueSettings,
  auth: authSettings,
  secrets: secretsSettings,
  admission: admissionSettings,
  rebalance: rebalanceSettings,
  http: adminHttpSettings,
});

export type AdminApiSettings = SettingsOf<typeof adminApiSettings>;
