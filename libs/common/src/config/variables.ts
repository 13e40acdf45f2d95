import { z } from 'zod';
import { defineSettings } from './settings';

/** A comma-separated list; blanks dropped. */
export const csvVariable = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value) =>
      value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item.length > 0),
    );

export const portVariable = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

export const booleanVariable = (fallback: boolean) =>
  z
    .enum(['true', 'false'])
    .default(fallback ? 'true' : 'false')
    .transform((value) => value === 'true');

export const postgresUrlVariable = z
  .string()
  .url()
  .refine((value) => /^postgres(ql)?:\/\//.test(value), 'must be a postgres:// URL');

/** Variables that several libs or processes read, each defined once so that every one checks it alike. */
export const sharedVariables = {
  /** The environment suffix of tenant database and login names. */
  TENANTRY_ENV: z
    .string()
    .regex(/^[a-z][a-z0-9]{0,11}$/, 'must be 1-12 lowercase letters or digits, starting with a letter')
    .default('dev'),
  /** The server holding the admin database, and the first tenant server unless TENANT_PG_URL names another. */
  DATABASE_URL: postgresUrlVariable.default('postgres://postgres@127.0.0.1:5432/postgres'),
  TENANT_PG_URL: postgresUrlVariable.optional(),
  /** How business services reach that first server, when not by TENANT_PG_URL's host (a container network's name, say). */
  TENANT_PG_HOST: z.string().optional(),
  /** Tenants on SQL Server: the engine that creates them and the business services that connect to them. */
  AZURE_SQL_TRUST_SERVER_CERTIFICATE: booleanVariable(false),
  /** On SIGTERM, the worker's bound for jobs in hand and the migration runner's for tenants in flight. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
};

/** TENANTRY_ENV: the name processes put in tenant database names. */
export const environmentSettings = defineSettings({
  variables: { TENANTRY_ENV: sharedVariables.TENANTRY_ENV },
  build: (e) => e.TENANTRY_ENV,
});

/** Where the first tenant server's databases are registered: TENANT_PG_HOST, else the host of its URL, and its port. */
export const tenantServerAddressSettings = defineSettings({
  variables: { TENANT_PG_URL: sharedVariables.TENANT_PG_URL, DATABASE_URL: sharedVariables.DATABASE_URL, TENANT_PG_HOST: sharedVariables.TENANT_PG_HOST },
  build: (e) => {
    const server = new URL(e.TENANT_PG_URL ?? e.DATABASE_URL);
    return { host: e.TENANT_PG_HOST ?? server.hostname, port: Number(server.port || 5432) };
  },
});

/** The superuser URL of the server tenant databases are created on (the zero-configuration first server). */
export const tenantServerUrlSettings = defineSettings({
  variables: { TENANT_PG_URL: sharedVariables.TENANT_PG_URL, DATABASE_URL: sharedVariables.DATABASE_URL },
  build: (e) => e.TENANT_PG_URL ?? e.DATABASE_URL,
});
