import { loadSettings } from '@tenantry/common';
import { lintSettings } from './lint-options';

describe('lintSettings', () => {
  it('needs no SQL Server: an unset or empty MSSQL_URL means the T-SQL is recorded', () => {
    expect(loadSettings(lintSettings, {})).toEqual({ postgresUrl: 'postgres://postgres@127.0.0.1:5432/postgres', mssqlUrl: undefined });
    expect(loadSettings(lintSettings, { MSSQL_URL: '' }).mssqlUrl).toBeUndefined();
    expect(loadSettings(lintSettings, { MSSQL_URL: 'mssql://sa:Secret%21@127.0.0.1:1433' }).mssqlUrl).toBe('mssql://sa:Secret%21@127.0.0.1:1433');
  });

  it('lists every bad setting, naming it', () => {
    expect(() => loadSettings(lintSettings, { DATABASE_URL: 'mysql://x', MSSQL_URL: 'postgres://127.0.0.1' })).toThrow(
      expect.objectContaining({ problems: [expect.stringMatching(/^DATABASE_URL: /), expect.stringMatching(/^MSSQL_URL: must be an mssql:\/\/ URL/)] }),
    );
  });
});
