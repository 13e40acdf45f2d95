import { InvalidTenantCode } from '@tenantry/common';
import { quoteTsqlName, tsqlString } from './tsql';

describe('T-SQL quoting', () => {
  it('brackets allow-listed names', () => {
    expect(quoteTsqlName('tenant_acme_dev')).toBe('[tenant_acme_dev]');
    expect(quoteTsqlName('tenant_acme_dev_app')).toBe('[tenant_acme_dev_app]');
  });

  it.each(['x] DROP DATABASE master --', 'a]b', 'Tenant', 'x y', "x'y", 'a'.repeat(64)])('refuses %p', (name) => {
    expect(() => quoteTsqlName(name)).toThrow(InvalidTenantCode);
  });

  it('says why a closing bracket is refused', () => {
    expect(() => quoteTsqlName('a]b')).toThrow('contains "]"');
  });

  it('doubles quotes in string literals and refuses control characters', () => {
    expect(tsqlString('Pa55word')).toBe("N'Pa55word'");
    expect(tsqlString("it's'; DROP USER x; --")).toBe("N'it''s''; DROP USER x; --'");
    expect(() => tsqlString('a\nb')).toThrow('control characters');
  });
});
