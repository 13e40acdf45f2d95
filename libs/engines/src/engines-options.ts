import {
  booleanVariable,
  combineSettings,
  defineSettings,
  environmentSettings,
  mapSettings,
  postgresUrlVariable,
  sharedVariables,
  tenantServerUrlSettings,
  type Settings,
} from '@tenantry/common';
import { z } from 'zod';
import { ARM_RATE_LIMITS, type ArmRateLimits } from './azure-sql/arm-pacer';

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
  /** The PgBouncer in front of this server's tenant databases (README, "Connection budget"); absent: none is kept consistent. */
  pooler?: PostgresPoolerOptions;
}

/** What the engine keeps consistent at the pooler of the server it acts on. */
export interface PostgresPoolerOptions {
  /** Install the auth_query lookup (role and function) with each tenant login; false where the pooler authenticates on its own (Azure's built-in PgBouncer). */
  authLookup: boolean;
  /** Its admin console, to close a changed login's pooled connections; absent: drains wait for server_idle_timeout and end backends on the server only. */
  adminUrl?: string;
}

/**
 * Where offboarding exports go and how the Import/Export service reaches the database and the blob
 * (request body: `exportRequestBody` in azure-sql/arm-databases.ts).
 */
export interface AzureSqlExportSettings {
  /** The blob container; each export is `<containerUrl>/<database>-<operation>.bacpac`. */
  containerUrl: string;
  /**
   * managed-identity: a user-assigned identity of the server, its Entra administrator (or in the admin
   * group) with Storage Blob Data Contributor on the account, signs in to SQL and writes the blob; no
   * password or storage key exists. sql: the server's SQL admin login and a storage key or SAS.
   */
  auth:
    | { kind: 'managed-identity'; identityId: string }
    | { kind: 'sql'; storageKeyType: 'SharedAccessKey' | 'StorageAccessKey'; storageKey: string; login: string; password: string };
  /**
   * Private link: the storage account's resource id. Each export then asks for network isolation, the
   * service creates private endpoints into the server and this account, and the engine approves them.
   * Absent: the service reaches both publicly (the server must allow Azure services).
   */
  storageAccountId?: string;
}

/** How the azure-sql engine reaches ARM and SQL; see AZURE_SQL_* in the README. */
export interface AzureSqlSettings {
  armEndpoint: string;
  /** The ARM buckets the process's pacer mirrors; absent, ARM's published ones (ARM_RATE_LIMITS). */
  armRateLimits?: ArmRateLimits;
  /** Between polls of an ARM operation when ARM names no wait; absent, 10 s. */
  armPollIntervalMs?: number;
  /** entra: tokens from DefaultAzureCredential; sql: the server's admin login (a plain SQL Server, or Azure with SQL auth). */
  sqlAuth: { kind: 'entra' } | { kind: 'sql'; login: string; password: string };
  trustServerCertificate: boolean;
  /** Each new elastic-pool database's maxSizeBytes, so that one tenant cannot fill the pool's storage; absent: Azure's default for the tier. */
  databaseMaxSizeBytes?: number;
  /** Absent: exports are refused, for good (the deprovisioning saga does not retry them). */
  export?: AzureSqlExportSettings;
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
        TENANT_PG_POOLER_AUTH_LOOKUP: booleanVariable(true),
        TENANT_PG_POOLER_ADMIN_URL: postgresUrlVariable.optional(),
      },
      build: (e) => ({
        exportDir: e.EXPORT_DIR,
        pooler: { authLookup: e.TENANT_PG_POOLER_AUTH_LOOKUP, adminUrl: e.TENANT_PG_POOLER_ADMIN_URL },
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

// A storage account's name is 3-24 lowercase letters and digits (Microsoft.Storage/storageAccounts name
// pattern, infra/bicep-types.json); its blob endpoint is https://<account>.blob.<cloud suffix>/.
const USER_ASSIGNED_IDENTITY_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/[^/]+$/i;
const STORAGE_ACCOUNT_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Storage\/storageAccounts\/([a-z0-9]{3,24})$/i;

// Why AZURE_SQL_TENANT_USERS=entra is refused rather than half-supported (issue 13, point 6).
const ENTRA_TENANT_USERS_REFUSED =
  "AZURE_SQL_TENANT_USERS: entra is not supported: nothing creates the Entra principal a tenant user is mapped to, the server would need an identity with Directory Readers to resolve it (only a Global or Privileged Role Administrator can grant that), and business services sign in with the tenant's password. Use contained, on a server that accepts SQL authentication";

function exportSettings(
  e: {
    AZURE_SQL_EXPORT_URL?: string;
    AZURE_SQL_EXPORT_IDENTITY?: string;
    AZURE_SQL_EXPORT_STORAGE_KEY_TYPE: 'SharedAccessKey' | 'StorageAccessKey';
    AZURE_SQL_EXPORT_STORAGE_KEY?: string;
    AZURE_SQL_EXPORT_STORAGE_ACCOUNT_ID?: string;
  },
  admin: { login?: string; password?: string },
  problems: string[],
): AzureSqlExportSettings | undefined {
  const url = e.AZURE_SQL_EXPORT_URL;
  if (!url) {
    if (e.AZURE_SQL_EXPORT_IDENTITY || e.AZURE_SQL_EXPORT_STORAGE_KEY || e.AZURE_SQL_EXPORT_STORAGE_ACCOUNT_ID) {
      problems.push('AZURE_SQL_EXPORT_URL: is required with the other AZURE_SQL_EXPORT_* settings (the container exports go to)');
    }
    return undefined;
  }
  const identity = e.AZURE_SQL_EXPORT_IDENTITY;
  const key = e.AZURE_SQL_EXPORT_STORAGE_KEY;
  if (identity && key) problems.push('AZURE_SQL_EXPORT_IDENTITY: set it or AZURE_SQL_EXPORT_STORAGE_KEY, not both');
  if (!identity && !(key && admin.login && admin.password)) {
    problems.push(
      "AZURE_SQL_EXPORT_URL: needs AZURE_SQL_EXPORT_IDENTITY (the server's user-assigned identity; required on Entra-only servers) or AZURE_SQL_EXPORT_STORAGE_KEY with AZURE_SQL_ADMIN_LOGIN and AZURE_SQL_ADMIN_PASSWORD",
    );
  }
  const account = e.AZURE_SQL_EXPORT_STORAGE_ACCOUNT_ID;
  const accountName = account && STORAGE_ACCOUNT_ID.exec(account)?.[1].toLowerCase();
  // Spec NetworkIsolationSettings: "Must match storage account used for StorageUri".
  if (accountName && new URL(url).hostname.split('.')[0] !== accountName) {
    problems.push(`AZURE_SQL_EXPORT_STORAGE_ACCOUNT_ID: names account ${accountName}, but AZURE_SQL_EXPORT_URL is in another account`);
  }
  return {
    containerUrl: url.replace(/\/$/, ''),
    auth: identity
      ? { kind: 'managed-identity', identityId: identity }
      : { kind: 'sql', storageKeyType: e.AZURE_SQL_EXPORT_STORAGE_KEY_TYPE, storageKey: key ?? '', login: admin.login ?? '', password: admin.password ?? '' },
    storageAccountId: account,
  };
}

// reads=250/25,writes=200/10,deletes=200/10: each bucket's size and refill per second.
const RATE_LIMITS = /^\s*(reads|writes|deletes)\s*=\s*(\d+)\s*\/\s*(\d+(?:\.\d+)?)\s*$/;

/** AZURE_ARM_RATE_LIMITS: the buckets it names over ARM's published ones, each with a positive size and refill. */
function armRateLimits(value: string, problems: string[]): ArmRateLimits {
  const limits = structuredClone(ARM_RATE_LIMITS);
  for (const part of value.split(',').filter((p) => p.trim() !== '')) {
    const match = RATE_LIMITS.exec(part);
    if (!match || Number(match[2]) < 1 || Number(match[3]) <= 0) {
      problems.push(`AZURE_ARM_RATE_LIMITS: "${part.trim()}" is not <reads|writes|deletes>=<bucket size>/<refill per second>, both positive`);
      continue;
    }
    limits[match[1] as keyof ArmRateLimits] = { burst: Number(match[2]), perSecond: Number(match[3]) };
  }
  return limits;
}

// The azure-sql engine: absent from every process unless AZURE_SQL_AUTH is set.
const azureSqlSettings = defineSettings({
  variables: {
    AZURE_SQL_AUTH: z.enum(['entra', 'sql']).optional(),
    AZURE_ARM_ENDPOINT: z
      .string()
      .url()
      .refine((value) => value.startsWith('https://'), 'must be an https:// URL (the SDK sends tokens only over TLS)')
      .default('https://management.azure.com'),
    AZURE_ARM_RATE_LIMITS: z.string().default(''),
    AZURE_ARM_POLL_INTERVAL_MS: z.coerce.number().int().min(1).default(10_000),
    AZURE_SQL_ADMIN_LOGIN: z.string().min(1).optional(),
    AZURE_SQL_ADMIN_PASSWORD: z.string().min(1).optional(),
    // Read only to refuse entra with the reason, so that no deployment creates tenants nobody can sign in to.
    AZURE_SQL_TENANT_USERS: z.enum(['contained', 'entra']).default('contained'),
    AZURE_SQL_TRUST_SERVER_CERTIFICATE: sharedVariables.AZURE_SQL_TRUST_SERVER_CERTIFICATE,
    // Which sizes a tier offers is Azure's to check: it refuses others with 400 InvalidMaxSizeTierCombination.
    AZURE_SQL_DATABASE_MAX_SIZE_GB: z.coerce.number().int().min(1).optional(),
    AZURE_SQL_EXPORT_URL: z
      .string()
      .url()
      .refine((value) => value.startsWith('https://'), 'must be the https:// URL of a blob container')
      .optional(),
    AZURE_SQL_EXPORT_IDENTITY: z.string().regex(USER_ASSIGNED_IDENTITY_ID, 'must be the resource id of a user-assigned managed identity').optional(),
    AZURE_SQL_EXPORT_STORAGE_KEY_TYPE: z.enum(['SharedAccessKey', 'StorageAccessKey']).default('SharedAccessKey'),
    AZURE_SQL_EXPORT_STORAGE_KEY: z.string().min(1).optional(),
    AZURE_SQL_EXPORT_STORAGE_ACCOUNT_ID: z.string().regex(STORAGE_ACCOUNT_ID, 'must be the resource id of a storage account').optional(),
  },
  build: (e, problems): AzureSqlSettings | undefined => {
    if (!e.AZURE_SQL_AUTH) return undefined;
    const login = e.AZURE_SQL_ADMIN_LOGIN;
    const password = e.AZURE_SQL_ADMIN_PASSWORD;
    if (e.AZURE_SQL_AUTH === 'sql' && !(login && password)) {
      problems.push('AZURE_SQL_ADMIN_LOGIN and AZURE_SQL_ADMIN_PASSWORD: are required when AZURE_SQL_AUTH is sql');
    }
    if (e.AZURE_SQL_TENANT_USERS === 'entra') problems.push(ENTRA_TENANT_USERS_REFUSED);
    return {
      armEndpoint: e.AZURE_ARM_ENDPOINT.replace(/\/$/, ''),
      armRateLimits: armRateLimits(e.AZURE_ARM_RATE_LIMITS, problems),
      armPollIntervalMs: e.AZURE_ARM_POLL_INTERVAL_MS,
      sqlAuth: e.AZURE_SQL_AUTH === 'sql' ? { kind: 'sql', login: login ?? '', password: password ?? '' } : { kind: 'entra' },
      trustServerCertificate: e.AZURE_SQL_TRUST_SERVER_CERTIFICATE,
      databaseMaxSizeBytes: e.AZURE_SQL_DATABASE_MAX_SIZE_GB === undefined ? undefined : e.AZURE_SQL_DATABASE_MAX_SIZE_GB * 1024 ** 3,
      export: exportSettings(e, { login, password }, problems),
    };
  },
});

export const enginesSettings: Settings<EnginesOptions> = combineSettings({
  environment: environmentSettings,
  postgres: postgresSettings,
  azureSql: azureSqlSettings,
});
