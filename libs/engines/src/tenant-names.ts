import { InvalidTenantCode } from '@tenantry/common';

export const TENANT_CODE_MAX_LENGTH = 36;
export const TENANT_CODE_PATTERN = /^[a-z][a-z0-9_]{1,35}$/;

export const RESERVED_TENANT_CODES: ReadonlySet<string> = new Set([
  'admin',
  'api',
  'default',
  'information_schema',
  'master',
  'model',
  'msdb',
  'postgres',
  'public',
  'root',
  'sys',
  'system',
  'template',
  'template0',
  'template1',
  'tempdb',
  'tenantry',
  'www',
]);

// PostgreSQL silently truncates longer identifiers, so two long names could become one.
const MAX_IDENTIFIER_BYTES = 63;
const IDENTIFIER = /^[a-z][a-z0-9_]*$/;

/** Throws InvalidTenantCode saying exactly what is wrong with `code`. */
export function validateTenantCode(code: unknown): asserts code is string {
  if (typeof code !== 'string' || code.length === 0) throw new InvalidTenantCode('code is required');
  if (code.length < 2) throw new InvalidTenantCode(`code "${code}" is too short: at least 2 characters`);
  if (code.length > TENANT_CODE_MAX_LENGTH) {
    throw new InvalidTenantCode(`code is too long: at most ${TENANT_CODE_MAX_LENGTH} characters (got ${code.length})`);
  }
  if (!/^[a-z]/.test(code)) throw new InvalidTenantCode(`code "${code}" must start with a lowercase letter`);
  if (!TENANT_CODE_PATTERN.test(code)) {
    throw new InvalidTenantCode(`code "${code}" may contain only lowercase letters, digits and _`);
  }
  if (RESERVED_TENANT_CODES.has(code) || code.startsWith('pg_')) {
    throw new InvalidTenantCode(`code "${code}" is reserved`);
  }
}

/** Accepts only names of the allow-listed shape that fit PostgreSQL's limit; returns the name quoted. */
export function quoteIdent(name: string): string {
  assertIdentifier(name);
  return `"${name}"`;
}

export function assertIdentifier(name: string): void {
  if (!IDENTIFIER.test(name)) throw new InvalidTenantCode(`"${name}" is not an allowed identifier`);
  if (Buffer.byteLength(name) > MAX_IDENTIFIER_BYTES) {
    throw new InvalidTenantCode(`"${name}" is longer than ${MAX_IDENTIFIER_BYTES} bytes`);
  }
}

export function databaseNameFor(code: string, env: string): string {
  validateTenantCode(code);
  const name = `tenant_${code}_${env}`;
  assertIdentifier(name);
  return name;
}

export function loginNameFor(code: string, env: string): string {
  const name = `${databaseNameFor(code, env)}_app`;
  assertIdentifier(name);
  return name;
}

/** The database and login names every engine gives a tenant: `tenant_{code}_{env}` and `tenant_{code}_{env}_app`. */
export function tenantDatabaseNames(code: string, env: string): { databaseName: string; loginName: string } {
  return { databaseName: databaseNameFor(code, env), loginName: loginNameFor(code, env) };
}

/**
 * A database restored side by side for the tenant: `tenantry_r_<first 8 hex of the restore id>_<env>_<code>`,
 * the code cut where the name would pass PostgreSQL's 63 bytes (the restore id alone makes it unique;
 * the rest is for the operator who inspects it). It starts with tenantry_, as staging databases do,
 * so no tenant database can have its name; Azure SQL allows it too (128 characters).
 */
export function restoredDatabaseName(code: string, env: string, restoreId: string): string {
  validateTenantCode(code);
  const name = `tenantry_r_${restoreId.replace(/-/g, '').slice(0, 8)}_${env}_${code}`.slice(0, MAX_IDENTIFIER_BYTES).replace(/_+$/, '');
  assertIdentifier(name);
  return name;
}
