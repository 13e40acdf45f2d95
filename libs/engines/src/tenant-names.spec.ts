import { InvalidTenantCode } from '@tenantry/common';
import { databaseNameFor, loginNameFor, quoteIdent, restoredDatabaseName, validateTenantCode } from './tenant-names';

describe('tenant names', () => {
  it.each(['acme', 'a1', 'acme_corp', 'x'.repeat(36)])('accepts %p', (code) => {
    expect(() => validateTenantCode(code)).not.toThrow();
  });

  it.each([
    ['', 'required'],
    ['a', 'too short'],
    ['x'.repeat(37), 'too long'],
    ['1acme', 'must start with a lowercase letter'],
    ['_acme', 'must start with a lowercase letter'],
    ['Acme', 'must start with a lowercase letter'],
    ['acMe', 'only lowercase letters, digits and _'],
    ['acme-corp', 'only lowercase letters, digits and _'],
    ['a"; drop database x; --', 'only lowercase letters, digits and _'],
    ['acmé', 'only lowercase letters, digits and _'],
    ['postgres', 'reserved'],
    ['template1', 'reserved'],
    ['pg_anything', 'reserved'],
  ])('refuses %p (%s)', (code, reason) => {
    expect(() => validateTenantCode(code)).toThrow(InvalidTenantCode);
    expect(() => validateTenantCode(code)).toThrow(reason);
  });

  it('derives database and login names that fit in 63 bytes even for the longest code', () => {
    const code = 'x'.repeat(36);
    expect(databaseNameFor('acme', 'dev')).toBe('tenant_acme_dev');
    expect(loginNameFor('acme', 'dev')).toBe('tenant_acme_dev_app');
    expect(Buffer.byteLength(loginNameFor(code, 'production12'))).toBeLessThanOrEqual(63);
    expect(() => loginNameFor(code, 'e'.repeat(16))).toThrow('63 bytes');
    expect(() => databaseNameFor('acme', 'Prod')).toThrow('not an allowed identifier');
  });

  it('refuses names PostgreSQL would truncate, and quotes only allow-listed ones', () => {
    expect(() => quoteIdent('a'.repeat(64))).toThrow('63 bytes');
    expect(quoteIdent('tenant_acme_dev')).toBe('"tenant_acme_dev"');
    expect(() => quoteIdent('x" OR 1=1')).toThrow(InvalidTenantCode);
    expect(() => quoteIdent('Upper')).toThrow(InvalidTenantCode);
  });

  it('names a restored database after the restore, the environment and the code, within 63 bytes, never as a tenant database', () => {
    const id = '0123abcd-ef01-4000-8000-000000000000';
    expect(restoredDatabaseName('acme', 'dev', id)).toBe('tenantry_r_0123abcd_dev_acme');
    const longest = restoredDatabaseName('x'.repeat(36), 'production12', id);
    expect(Buffer.byteLength(longest)).toBeLessThanOrEqual(63);
    expect(longest.startsWith('tenantry_r_0123abcd_production12_x')).toBe(true);
    expect(restoredDatabaseName('acme', 'dev', id).startsWith('tenant_')).toBe(false);
  });
});
