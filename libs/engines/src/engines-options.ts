import { combineSettings, defineSettings, environmentSettings, mapSettings, sharedVariables, tenantServerUrlSettings, type Settings } from '@tenantry/common';
import { z } from 'zod';

/** Bounds on one tenant database's migration sessions, so that one locked or unreachable tenant cannot hold a fleet run open. */
export interface TenantMigrationTimeouts {
  /** How long a statement waits for a lock (a table's, or the database's migration lock) before it fails. */
  lockTimeoutMs: number;
  /** How long one statement may run; 0: no limit. */
  statementTimeoutMs: number;
  /** How long connecting to a tenant database may take. */
  connectTimeoutMs: number;
}

export interface PostgresEngineOptions {
  /** Superuser URL of the server tenant databases are created on. */
  adminUrl: string;
  /** Where offboarding exports (pg_dump files) go. */
  exportDir: string;
  /** Bounds on the sessions that migrate a tenant database; absent, the server's own settings. */
  migrationTimeouts?: TenantMigrationTimeouts;
}

/** How the azure-sql engine reaches ARM and SQL; see AZURE_SQL_* in the README. */
export interface AzureSqlSettings {
  armEndpoint: string;
  /** entra: tokens from DefaultAzureCredential; sql: the server's admin login (a plain SQL Server, or Azure with SQL auth). */
  sqlAuth: { kind: 'entra' } | { kind: 'sql'; login: string; password: string };
  /** contained: a database user with a password; entra: a user FROM EXTERNAL PROVIDER, which signs in with tokens. */
  tenantUsers: 'contained' | 'entra';
  trustServerCertificate: boolean;
  /** Each new elastic-pool database's maxSizeBytes, so that one tenant cannot fill the pool's storage; absent: Azure's default for the tier. */
  databaseMaxSizeBytes?: number;
  /** Where offboarding exports go (.bacpac blobs); absent: exports are refused. */
  export?: { containerUrl: string; storageKeyType: 'SharedAccessKey' | 'StorageAccessKey'; storageKey: string; adminLogin: string; adminPassword: string };
}

/** Every engine this process drives: PostgreSQL always, azure-sql when `azureSql` is set. */
export interface EnginesOptions {
  /** TENANTRY_ENV, in every tenant database's name (and its Azure `environment` tag). */
  environment: string;
  /** A process always bounds its migration sessions; only a test builds an engine without bounds. */
  postgres: Required<PostgresEngineOptions>;
  azureSql?: AzureSqlSettings;
}

const postgresSettings = mapSettings(
  combineSettings({
    adminUrl: tenantServerUrlSettings,
    own: defineSettings({
      variables: {
        EXPORT_DIR: z.string().min(1).default('.dev/exports'),
        TENANT_MIGRATION_LOCK_TIMEOUT_MS: z.coerce.number().int().min(1).default(5_000),
        // 0: no limit (PostgreSQL's own meaning), for a long index build run by hand.
        TENANT_MIGRATION_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).default(600_000),
        TENANT_MIGRATION_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(1).default(10_000),
      },
      build: (e) => ({
        exportDir: e.EXPORT_DIR,
        migrationTimeouts: {
          lockTimeoutMs: e.TENANT_MIGRATION_LOCK_TIMEOUT_MS,
          statementTimeoutMs: e.TENANT_MIGRATION_STATEMENT_TIMEOUT_MS,
          connectTimeoutMs: e.TENANT_MIGRATION_CONNECT_TIMEOUT_MS,
        },
      }),
    }),
  }),
  ({ adminUrl, own }): Required<PostgresEngineOptions> => ({ adminUrl, ...own }),
);

// The azure-sql engine: absent from every process unless AZURE_SQL_AUTH is set.
const azureSqlSettings = defineSettings({
  variables: {
    AZURE_SQL_AUTH: z.enum(['entra', 'sql']).optional(),
    AZURE_ARM_ENDPOINT: z
      .string()
      .url()
      .refine((value) => value.startsWith('https://'), 'must be an https:// URL (the SDK sends tokens only over TLS)')
      .default('https://management.azure.com'),
    AZURE_SQL_ADMIN_LOGIN: z.string().min(1).optional(),
    AZURE_SQL_ADMIN_PASSWORD: z.string().min(1).optional(),
    AZURE_SQL_TENANT_USERS: z.enum(['contained', 'entra']).default('contained'),
    AZURE_SQL_TRUST_SERVER_CERTIFICATE: sharedVariables.AZURE_SQL_TRUST_SERVER_CERTIFICATE,
    // Which sizes a tier offers is Azure's to check: it refuses others with 400 InvalidMaxSizeTierCombination.
    AZURE_SQL_DATABASE_MAX_SIZE_GB: z.coerce.number().int().min(1).optional(),
    AZURE_SQL_EXPORT_URL: z
      .string()
      .url()
      .refine((value) => value.startsWith('https://'), 'must be the https:// URL of a blob container')
      .optional(),
    AZURE_SQL_EXPORT_STORAGE_KEY_TYPE: z.enum(['SharedAccessKey', 'StorageAccessKey']).default('SharedAccessKey'),
    AZURE_SQL_EXPORT_STORAGE_KEY: z.string().min(1).optional(),
  },
  build: (e, problems): AzureSqlSettings | undefined => {
    if (!e.AZURE_SQL_AUTH) return undefined;
    const login = e.AZURE_SQL_ADMIN_LOGIN;
    const password = e.AZURE_SQL_ADMIN_PASSWORD;
    if (e.AZURE_SQL_AUTH === 'sql' && !(login && password)) {
      problems.push('AZURE_SQL_ADMIN_LOGIN and AZURE_SQL_ADMIN_PASSWORD: are required when AZURE_SQL_AUTH is sql');
    }
    if (e.AZURE_SQL_EXPORT_URL && !(e.AZURE_SQL_EXPORT_STORAGE_KEY && login && password)) {
      problems.push(
        'AZURE_SQL_EXPORT_URL: needs AZURE_SQL_EXPORT_STORAGE_KEY, AZURE_SQL_ADMIN_LOGIN and AZURE_SQL_ADMIN_PASSWORD (ARM exports sign in with SQL authentication)',
      );
    }
    return {
      armEndpoint: e.AZURE_ARM_ENDPOINT.replace(/\/$/, ''),
      sqlAuth: e.AZURE_SQL_AUTH === 'sql' ? { kind: 'sql', login: login ?? '', password: password ?? '' } : { kind: 'entra' },
      tenantUsers: e.AZURE_SQL_TENANT_USERS,
      trustServerCertificate: e.AZURE_SQL_TRUST_SERVER_CERTIFICATE,
      databaseMaxSizeBytes: e.AZURE_SQL_DATABASE_MAX_SIZE_GB === undefined ? undefined : e.AZURE_SQL_DATABASE_MAX_SIZE_GB * 1024 ** 3,
      export: e.AZURE_SQL_EXPORT_URL
        ? {
            containerUrl: e.AZURE_SQL_EXPORT_URL.replace(/\/$/, ''),
            storageKeyType: e.AZURE_SQL_EXPORT_STORAGE_KEY_TYPE,
            storageKey: e.AZURE_SQL_EXPORT_STORAGE_KEY ?? '',
            adminLogin: login ?? '',
            adminPassword: password ?? '',
          }
        : undefined,
    };
  },
});

export const enginesSettings: Settings<EnginesOptions> = combineSettings({
  environment: environmentSettings,
  postgres: postgresSettings,
  azureSql: azureSqlSettings,
});
