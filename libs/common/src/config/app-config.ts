import { z } from 'zod';

const csv = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value) =>
      value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item.length > 0),
    );

// A plan or region is stored on the tenant row and shown by the API: the shape of a word, at most 32 characters.
const catalogue = (fallback: string) =>
  csv(fallback).pipe(
    z
      .array(z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'each must be a lowercase word of at most 32 characters (letters, digits, -)'))
      .min(1, 'must name at least one'),
  );

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

const postgresUrl = z
  .string()
  .url()
  .refine((value) => /^postgres(ql)?:\/\//.test(value), 'must be a postgres:// URL');

// Every setting the processes read, with the default that works on a fresh machine.
const envSchema = z.object({
  TENANTRY_ENV: z
    .string()
    .regex(/^[a-z][a-z0-9]{0,11}$/, 'must be 1-12 lowercase letters or digits, starting with a letter')
    .default('dev'),
  // development: tokens from a local issuer need no audience or client check; production (the default) refuses to run without one.
  TENANTRY_MODE: z.enum(['development', 'production']).default('production'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: postgresUrl.default('postgres://postgres@127.0.0.1:5432/postgres'),
  ADMIN_DB_NAME: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lowercase PostgreSQL identifier')
    .default('tenantry_admin'),
  // The registry's connections per process, and how long a request waits for one before a 503.
  ADMIN_DB_POOL_SIZE: z.coerce.number().int().min(2).max(100).default(10),
  ADMIN_DB_CONNECTION_WAIT_MS: z.coerce.number().int().positive().default(5_000),
  // How long an admission waits for a pool's row that other admissions to that pool hold before a 503.
  POOL_SLOT_LOCK_TIMEOUT_MS: z.coerce.number().int().positive().default(1_000),
  TENANT_PG_URL: postgresUrl.optional(),
  TENANT_PG_HOST: z.string().optional(),
  TENANT_POOL_NAME: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,39}$/)
    .default('local-pg'),
  TENANT_POOL_MAX_DATABASES: z.coerce.number().int().positive().default(500),
  TENANT_PG_POOL_REGISTER: z.enum(['true', 'false']).default('true'),
  // What POST /tenants accepts; the first of each is what a tenant that names none gets.
  TENANT_PLANS: catalogue('standard'),
  TENANT_REGIONS: catalogue('local'),
  REDIS_URL: z
    .string()
    .url()
    .refine((value) => /^rediss?:\/\//.test(value), 'must be a redis:// URL')
    .default('redis://127.0.0.1:6379'),
  REDIS_KEY_PREFIX: z.string().default(''),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .default('tenantry'),
  SECRETS_PROVIDER: z.enum(['local', 'key-vault']).default('local'),
  // Required for one provider only: secretsProviderProblems says which is missing for which.
  SECRETS_KEY: z
    .string()
    .refine((value) => Buffer.from(value, 'base64').length === 32, 'must be base64 of exactly 32 bytes')
    .optional(),
  SECRETS_KEY_ID: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,32}$/)
    .default('k1'),
  KEY_VAULT_URL: z
    .string()
    .url()
    .refine((value) => /^https:\/\/[^/]+\/?$/.test(value), 'must be the https URL of the vault, e.g. https://<name>.vault.azure.net')
    .optional(),
  AUTH_ISSUER: z.string().url().default('http://127.0.0.1:8081/realms/tenantry'),
  AUTH_JWKS_URL: z.string().url().optional(),
  AUTH_AUDIENCES: csv(''),
  AUTH_CLIENTS: csv(''),
  AUTH_ALGORITHMS: csv('RS256').pipe(
    z
      .array(z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']))
      .min(1, 'must name at least one asymmetric algorithm'),
  ),
  AUTH_CLOCK_TOLERANCE_SECONDS: z.coerce.number().int().min(0).max(300).default(30),
  AUTH_JWKS_COOLDOWN_SECONDS: z.coerce.number().int().min(0).max(3600).default(30),
  AUTH_TENANT_CLAIM: z.string().min(1).default('tenant_id'),
  AUTH_ADMIN_ROLE: z.string().min(1).default('platform-admin'),
  ADMIN_API_PORT: port(3000),
  BUSINESS_API_PORT: port(3001),
  TENANT_CACHE_TTL_SECONDS: z.coerce.number().int().positive().default(300),
  TENANT_LOCAL_CACHE_TTL_SECONDS: z.coerce.number().positive().max(60).default(5),
  TENANT_LOCAL_CACHE_SIZE: z.coerce.number().int().positive().default(10_000),
  TENANT_POOL_SIZE: z.coerce.number().int().positive().default(5),
  TENANT_MAX_POOLS: z.coerce.number().int().positive().default(1_000),
  TENANT_MAX_CONNECTIONS: z.coerce.number().int().positive().default(50),
  TENANT_POOL_IDLE_SECONDS: z.coerce.number().int().positive().default(300),
  TENANT_CONNECTION_ACQUIRE_TIMEOUT_MS: z.coerce.number().int().positive().default(5_000),
  REGISTRY_TIMEOUT_MS: z.coerce.number().int().positive().default(2_000),
  WORKER_CONCURRENCY: z.coerce.number().int().positive().max(64).default(4),
  OPERATION_MAX_ATTEMPTS: z.coerce.number().int().positive().max(50).default(5),
  // A dead worker's job is taken over within lock + stall interval (11 s), well inside the 15 s promised;
  // a live worker renews its locks every half lock, whatever a step's length.
  QUEUE_LOCK_DURATION_MS: z.coerce.number().int().min(500).default(8_000),
  QUEUE_STALLED_INTERVAL_MS: z.coerce.number().int().min(200).default(3_000),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
  TEMPLATE_ENABLED: z.enum(['true', 'false']).default('true'),
  WARM_POOL_SIZE: z.coerce.number().int().min(0).max(1000).default(0),
  EXPORT_DIR: z.string().min(1).default('.dev/exports'),
  SESSION_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  WORKER_METRICS_PORT: port(9464),
  BULL_BOARD_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  TENANTRY_FAILPOINT: z
    .string()
    .regex(/^after:[a-z_]+$/, 'must be after:<step name>')
    .optional(),
  RECONCILE_INTERVAL_MS: z.coerce.number().int().min(0).default(10_000),
  RECONCILE_AFTER_MS: z.coerce.number().int().min(0).default(30_000),
  MIGRATION_RUN_LEASE_MS: z.coerce.number().int().min(1_000).default(60_000),
  TENANT_MIGRATION_LOCK_TIMEOUT_MS: z.coerce.number().int().min(1).default(5_000),
  // 0: no limit (PostgreSQL's own meaning), for a long index build run by hand.
  TENANT_MIGRATION_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).default(600_000),
  TENANT_MIGRATION_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(1).default(10_000),
  // The azure-sql engine: absent from every process unless AZURE_SQL_AUTH is set.
  AZURE_SQL_AUTH: z.enum(['entra', 'sql']).optional(),
  AZURE_ARM_ENDPOINT: z
    .string()
    .url()
    .refine((value) => value.startsWith('https://'), 'must be an https:// URL (the SDK sends tokens only over TLS)')
    .default('https://management.azure.com'),
  AZURE_SQL_ADMIN_LOGIN: z.string().min(1).optional(),
  AZURE_SQL_ADMIN_PASSWORD: z.string().min(1).optional(),
  AZURE_SQL_TENANT_USERS: z.enum(['contained', 'entra']).default('contained'),
  AZURE_SQL_TRUST_SERVER_CERTIFICATE: z.enum(['true', 'false']).default('false'),
  AZURE_SQL_EXPORT_URL: z
    .string()
    .url()
    .refine((value) => value.startsWith('https://'), 'must be the https:// URL of a blob container')
    .optional(),
  AZURE_SQL_EXPORT_STORAGE_KEY_TYPE: z.enum(['SharedAccessKey', 'StorageAccessKey']).default('SharedAccessKey'),
  AZURE_SQL_EXPORT_STORAGE_KEY: z.string().min(1).optional(),
});

export type RawEnv = Record<string, string | undefined>;

/** How the azure-sql engine reaches ARM and SQL; see AZURE_SQL_* in the README. */
export interface AzureSqlConfig {
  armEndpoint: string;
  /** entra: tokens from DefaultAzureCredential; sql: the server's admin login (a plain SQL Server, or Azure with SQL auth). */
  sqlAuth: { kind: 'entra' } | { kind: 'sql'; login: string; password: string };
  /** contained: a database user with a password; entra: a user FROM EXTERNAL PROVIDER, which signs in with tokens. */
  tenantUsers: 'contained' | 'entra';
  trustServerCertificate: boolean;
  /** Where offboarding exports go (.bacpac blobs); absent: exports are refused. */
  export?: { containerUrl: string; storageKeyType: 'SharedAccessKey' | 'StorageAccessKey'; storageKey: string; adminLogin: string; adminPassword: string };
}

/**
 * The provider named writes new secrets; the other one, when configured too, still opens what it
 * wrote, so switching needs no migration of existing rows.
 */
export type SecretsConfig =
  | { provider: 'local'; key: Buffer; keyId: string; keyVaultUrl?: string }
  | { provider: 'key-vault'; keyVaultUrl: string; key?: Buffer; keyId: string };

/** Bounds on one tenant database's migration sessions, so that one locked or unreachable tenant cannot hold a fleet run open. */
export interface TenantMigrationTimeouts {
  /** How long a statement waits for a lock (a table's, or the database's migration lock) before it fails. */
  lockTimeoutMs: number;
  /** How long one statement may run; 0: no limit. */
  statementTimeoutMs: number;
  /** How long connecting to a tenant database may take. */
  connectTimeoutMs: number;
}

export interface AppConfig {
  env: string;
  logLevel: string;
  adminDb: {
    url: string;
    name: string;
    poolSize: number;
    connectionWaitMs: number;
    /** Bound on an admission's wait for a pool's row (PostgreSQL lock_timeout on the slot reservation). */
    slotLockTimeoutMs: number;
  };
  /** `register`: whether the processes register this server as a pool (not when it only holds the registry). */
  tenantServer: { pool: string; maxDatabases: number; register: boolean; adminUrl: string; host: string; port: number };
  /** The plans and regions a tenant may have; the first of each is the default. */
  catalogue: { plans: string[]; regions: string[] };
  redis: { url: string; keyPrefix: string };
  queue: {
    prefix: string;
    concurrency: number;
    maxAttempts: number;
    reconcileIntervalMs: number;
    reconcileAfterMs: number;
    lockDurationMs: number;
    stalledIntervalMs: number;
  };
  worker: {
    shutdownTimeoutMs: number;
    templateEnabled: boolean;
    warmPoolSize: number;
    exportDir: string;
    /** After a rotation or a suspension, how long the login's old sessions may finish their work before they are ended. */
    sessionGraceMs: number;
    metricsPort: number;
    /** Test hook: the process kills itself (SIGKILL) right after the named saga step. */
    failAfterStep?: string;
  };
  secrets: SecretsConfig;
  auth: {
    issuer: string;
    jwksUrl: string;
    audiences: string[];
    clients: string[];
    algorithms: string[];
    clockToleranceSeconds: number;
    jwksCooldownSeconds: number;
    tenantClaim: string;
    adminRole: string;
  };
  http: { adminPort: number; businessPort: number; bullBoardPassword?: string };
  azureSql?: AzureSqlConfig;
  migrations: {
    /** A run whose runner has not renewed its lease for this long is abandoned (the runner died). */
    runLeaseMs: number;
    timeouts: TenantMigrationTimeouts;
  };
  tenancy: {
    cacheTtlSeconds: number;
    localCacheTtlSeconds: number;
    localCacheSize: number;
    poolSize: number;
    maxPools: number;
    maxConnections: number;
    poolIdleSeconds: number;
    acquireTimeoutMs: number;
    registryTimeoutMs: number;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

type ParsedEnv = z.infer<typeof envSchema>;

function azureSqlConfig(e: ParsedEnv, problems: string[]): AzureSqlConfig | undefined {
  if (!e.AZURE_SQL_AUTH) return undefined;
  const login = e.AZURE_SQL_ADMIN_LOGIN;
  const password = e.AZURE_SQL_ADMIN_PASSWORD;
  if (e.AZURE_SQL_AUTH === 'sql' && !(login && password)) {
    problems.push('AZURE_SQL_ADMIN_LOGIN and AZURE_SQL_ADMIN_PASSWORD: are required when AZURE_SQL_AUTH is sql');
  }
  if (e.AZURE_SQL_EXPORT_URL && !(e.AZURE_SQL_EXPORT_STORAGE_KEY && login && password)) {
    problems.push('AZURE_SQL_EXPORT_URL: needs AZURE_SQL_EXPORT_STORAGE_KEY, AZURE_SQL_ADMIN_LOGIN and AZURE_SQL_ADMIN_PASSWORD (ARM exports sign in with SQL authentication)');
  }
  return {
    armEndpoint: e.AZURE_ARM_ENDPOINT.replace(/\/$/, ''),
    sqlAuth: e.AZURE_SQL_AUTH === 'sql' ? { kind: 'sql', login: login ?? '', password: password ?? '' } : { kind: 'entra' },
    tenantUsers: e.AZURE_SQL_TENANT_USERS,
    trustServerCertificate: e.AZURE_SQL_TRUST_SERVER_CERTIFICATE === 'true',
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
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

// Read from the raw env so that these are listed together with every other problem.
function secretsProviderProblems(env: RawEnv): string[] {
  if ((env.SECRETS_PROVIDER ?? 'local') === 'local' && env.SECRETS_KEY === undefined) {
    return ['SECRETS_KEY: is required with SECRETS_PROVIDER=local (the default): a base64-encoded 32-byte key (npm start writes one to ~/.config/tenantry/dev.env)'];
  }
  if (env.SECRETS_PROVIDER === 'key-vault' && env.KEY_VAULT_URL === undefined) {
    return ['KEY_VAULT_URL: is required with SECRETS_PROVIDER=key-vault: the https URL of the vault, e.g. https://<name>.vault.azure.net'];
  }
  return [];
}

// Without an accepted audience or client, a token the realm issued to any of its clients would do.
function audienceProblems(env: RawEnv): string[] {
  if ((env.TENANTRY_MODE ?? 'production') !== 'production') return [];
  const listed = (value: string | undefined) => (value ?? '').split(',').some((item) => item.trim().length > 0);
  if (listed(env.AUTH_CLIENTS) || listed(env.AUTH_AUDIENCES)) return [];
  return [
    'AUTH_CLIENTS or AUTH_AUDIENCES: one is required outside development (TENANTRY_MODE=production, the default): the azp clients or aud values a token must carry (e.g. AUTH_CLIENTS=tenantry-app,tenantry-admin-cli); TENANTRY_MODE=development skips this for a local issuer (npm start sets it)',
  ];
}

function secretsConfig(e: z.infer<typeof envSchema>): SecretsConfig {
  const key = e.SECRETS_KEY === undefined ? undefined : Buffer.from(e.SECRETS_KEY, 'base64');
  const keyVaultUrl = e.KEY_VAULT_URL === undefined ? undefined : new URL(e.KEY_VAULT_URL).origin;
  // secretsProviderProblems has already refused a provider without its setting.
  if (e.SECRETS_PROVIDER === 'key-vault') return { provider: 'key-vault', keyVaultUrl: keyVaultUrl!, key, keyId: e.SECRETS_KEY_ID };
  return { provider: 'local', key: key!, keyId: e.SECRETS_KEY_ID, keyVaultUrl };
}

/** What the process does that needs settings of its own: only a process that verifies tokens needs an accepted audience. */
export interface ConfigNeeds {
  verifiesTokens?: boolean;
}

export function loadConfig(env: RawEnv, needs: ConfigNeeds = {}): AppConfig {
  const problems = [...secretsProviderProblems(env), ...(needs.verifiesTokens ? audienceProblems(env) : [])];
  const e = parseEnv(envSchema, env, problems);
  if (e.TENANT_POOL_SIZE > e.TENANT_MAX_CONNECTIONS) {
    problems.push(`TENANT_POOL_SIZE: ${e.TENANT_POOL_SIZE} does not fit under TENANT_MAX_CONNECTIONS (${e.TENANT_MAX_CONNECTIONS})`);
  }
  const azureSql = azureSqlConfig(e, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  const tenantAdminUrl = e.TENANT_PG_URL ?? e.DATABASE_URL;
  const tenantServer = new URL(tenantAdminUrl);
  return {
    env: e.TENANTRY_ENV,
    logLevel: e.LOG_LEVEL,
    adminDb: {
      url: withDatabase(e.DATABASE_URL, e.ADMIN_DB_NAME),
      name: e.ADMIN_DB_NAME,
      poolSize: e.ADMIN_DB_POOL_SIZE,
      connectionWaitMs: e.ADMIN_DB_CONNECTION_WAIT_MS,
      slotLockTimeoutMs: e.POOL_SLOT_LOCK_TIMEOUT_MS,
    },
    tenantServer: {
      pool: e.TENANT_POOL_NAME,
      maxDatabases: e.TENANT_POOL_MAX_DATABASES,
      register: e.TENANT_PG_POOL_REGISTER === 'true',
      adminUrl: tenantAdminUrl,
      host: e.TENANT_PG_HOST ?? tenantServer.hostname,
      port: Number(tenantServer.port || 5432),
    },
    catalogue: { plans: e.TENANT_PLANS, regions: e.TENANT_REGIONS },
    redis: { url: e.REDIS_URL, keyPrefix: e.REDIS_KEY_PREFIX },
    queue: {
      prefix: e.QUEUE_PREFIX,
      concurrency: e.WORKER_CONCURRENCY,
      maxAttempts: e.OPERATION_MAX_ATTEMPTS,
      reconcileIntervalMs: e.RECONCILE_INTERVAL_MS,
      reconcileAfterMs: e.RECONCILE_AFTER_MS,
      lockDurationMs: e.QUEUE_LOCK_DURATION_MS,
      stalledIntervalMs: e.QUEUE_STALLED_INTERVAL_MS,
    },
    worker: {
      shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
      templateEnabled: e.TEMPLATE_ENABLED === 'true',
      warmPoolSize: e.WARM_POOL_SIZE,
      exportDir: e.EXPORT_DIR,
      sessionGraceMs: e.SESSION_GRACE_MS,
      metricsPort: e.WORKER_METRICS_PORT,
      failAfterStep: e.TENANTRY_FAILPOINT?.slice('after:'.length),
    },
    secrets: secretsConfig(e),
    auth: {
      issuer: e.AUTH_ISSUER.replace(/\/$/, ''),
      jwksUrl: e.AUTH_JWKS_URL ?? `${e.AUTH_ISSUER.replace(/\/$/, '')}/protocol/openid-connect/certs`,
      audiences: e.AUTH_AUDIENCES,
      clients: e.AUTH_CLIENTS,
      algorithms: e.AUTH_ALGORITHMS,
      clockToleranceSeconds: e.AUTH_CLOCK_TOLERANCE_SECONDS,
      jwksCooldownSeconds: e.AUTH_JWKS_COOLDOWN_SECONDS,
      tenantClaim: e.AUTH_TENANT_CLAIM,
      adminRole: e.AUTH_ADMIN_ROLE,
    },
    http: { adminPort: e.ADMIN_API_PORT, businessPort: e.BUSINESS_API_PORT, bullBoardPassword: e.BULL_BOARD_PASSWORD },
    azureSql,
    migrations: {
      runLeaseMs: e.MIGRATION_RUN_LEASE_MS,
      timeouts: {
        lockTimeoutMs: e.TENANT_MIGRATION_LOCK_TIMEOUT_MS,
        statementTimeoutMs: e.TENANT_MIGRATION_STATEMENT_TIMEOUT_MS,
        connectTimeoutMs: e.TENANT_MIGRATION_CONNECT_TIMEOUT_MS,
      },
    },
    tenancy: {
      cacheTtlSeconds: e.TENANT_CACHE_TTL_SECONDS,
      localCacheTtlSeconds: e.TENANT_LOCAL_CACHE_TTL_SECONDS,
      localCacheSize: e.TENANT_LOCAL_CACHE_SIZE,
      poolSize: e.TENANT_POOL_SIZE,
      maxPools: e.TENANT_MAX_POOLS,
      maxConnections: e.TENANT_MAX_CONNECTIONS,
      poolIdleSeconds: e.TENANT_POOL_IDLE_SECONDS,
      acquireTimeoutMs: e.TENANT_CONNECTION_ACQUIRE_TIMEOUT_MS,
      registryTimeoutMs: e.REGISTRY_TIMEOUT_MS,
    },
  };
}

/** `alsoWrong`: problems found outside the schema, listed with its own so the operator sees them all at once. */
function parseEnv<T extends z.ZodType>(schema: T, env: RawEnv, alsoWrong: string[] = []): z.output<T> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError([...parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`), ...alsoWrong]);
  }
  return parsed.data;
}

/** A bad setting stops the process with every problem listed, with `exitCode`. */
function orExit<T>(load: () => T, exitCode = 1): T {
  try {
    return load();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(exitCode);
    }
    throw error;
  }
}

/** Reads the process environment once; a bad setting stops the process with every problem listed (exit 1 unless a CLI says otherwise). */
export function loadConfigOrExit(needs: ConfigNeeds = {}, exitCode = 1): AppConfig {
  return orExit(() => loadConfig(process.env, needs), exitCode);
}

// The migration lint reads only the servers it runs migrations on: DATABASE_URL (validated as above)
// and, optionally, a SQL Server for the T-SQL; without one (unset or empty) it records the T-SQL instead.
const lintEnvSchema = z.object({
  DATABASE_URL: envSchema.shape.DATABASE_URL,
  MSSQL_URL: z.preprocess(
    (value) => (value === '' ? undefined : value),
    z
      .string()
      .url()
      .refine((value) => /^mssql:\/\//.test(value), 'must be an mssql:// URL (mssql://user:password@host:1433)')
      .optional(),
  ),
});

export interface LintServers {
  postgresUrl: string;
  mssqlUrl?: string;
}

export function loadLintServers(env: RawEnv): LintServers {
  const e = parseEnv(lintEnvSchema, env);
  return { postgresUrl: e.DATABASE_URL, mssqlUrl: e.MSSQL_URL };
}

export function loadLintServersOrExit(): LintServers {
  return orExit(() => loadLintServers(process.env));
}
