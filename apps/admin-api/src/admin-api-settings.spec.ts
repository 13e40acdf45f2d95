import { loadSettings } from '@tenantry/common';
import { adminApiSettings } from './admin-api-settings';

describe('admin API settings', () => {
  // The admin API protects the passwords of registered servers: it needs the secrets key too.
  const local = { TENANTRY_MODE: 'development', SECRETS_KEY: Buffer.alloc(32, 7).toString('base64') };
  const admission = (env: Record<string, string>) => loadSettings(adminApiSettings, { ...local, ...env }).admission;

  it('has a plan and region catalogue that fits the README and demo on a fresh machine, and takes another', () => {
    expect(admission({}).catalogue).toEqual({ plans: ['standard'], regions: ['local'] });
    expect(admission({ TENANT_PLANS: 'standard, premium', TENANT_REGIONS: 'westeurope,northeurope' }).catalogue).toEqual({
      plans: ['standard', 'premium'],
      regions: ['westeurope', 'northeurope'],
    });
  });

  it('refuses an empty catalogue or one with a value that is not a lowercase word, naming the setting', () => {
    expect(() => admission({ TENANT_PLANS: ' , ' })).toThrow(/TENANT_PLANS: must name at least one/);
    expect(() => admission({ TENANT_REGIONS: 'local,West Europe' })).toThrow(/TENANT_REGIONS\.1: each must be a lowercase word/);
  });

  it('places automatically on pools of the engines the workers drive, read from the same engine settings', () => {
    expect(admission({}).engines).toEqual(['postgres']);
    expect(admission({ AZURE_SQL_AUTH: 'entra' }).engines).toEqual(['postgres', 'azure-sql']);
    expect(() => admission({ AZURE_SQL_AUTH: 'sql' })).toThrow(/AZURE_SQL_ADMIN_LOGIN and AZURE_SQL_ADMIN_PASSWORD: are required/);
  });

  it('rebalances above 80% with 2 moves at once unless told otherwise, and takes only whole numbers in range', () => {
    const rebalance = (env: Record<string, string>) => loadSettings(adminApiSettings, { ...local, ...env }).rebalance;
    expect(rebalance({})).toEqual({ thresholdPercent: 80, concurrentMoves: 2 });
    expect(rebalance({ REBALANCE_FILL_PERCENT: '65', REBALANCE_CONCURRENT_MOVES: '5' })).toEqual({ thresholdPercent: 65, concurrentMoves: 5 });
    for (const bad of ['0', '101', '72.5', 'most']) expect(() => rebalance({ REBALANCE_FILL_PERCENT: bad })).toThrow(/REBALANCE_FILL_PERCENT/);
    for (const bad of ['0', '51', '1.5']) expect(() => rebalance({ REBALANCE_CONCURRENT_MOVES: bad })).toThrow(/REBALANCE_CONCURRENT_MOVES/);
  });
});
