import { loadSettings } from '@tenantry/common';
import { settingsProblems } from '@tenantry/common/testing';
import { DEFAULT_TENANT_CACHE_TTL_SECONDS, tenantCacheOptions, tenantCacheSettings } from './tenant-cache-options';

describe('tenant cache options', () => {
  it('is the one default lifetime, whoever leaves it unset: the environment or code', () => {
    expect(loadSettings(tenantCacheSettings, {})).toEqual({ ttlSeconds: DEFAULT_TENANT_CACHE_TTL_SECONDS });
    expect(tenantCacheOptions()).toEqual({ ttlSeconds: DEFAULT_TENANT_CACHE_TTL_SECONDS });
    expect(tenantCacheOptions(undefined)).toEqual(tenantCacheOptions());
    expect(tenantCacheOptions(60)).toEqual({ ttlSeconds: 60 });
    expect(loadSettings(tenantCacheSettings, { TENANT_CACHE_TTL_SECONDS: '60' })).toEqual({ ttlSeconds: 60 });
  });

  it('refuses a lifetime Redis could not give an entry (SET EX takes whole seconds, at least 1), from the environment as from code', () => {
    for (const bad of [0, -5, 1.5, Number.NaN]) {
      expect(() => tenantCacheOptions(bad)).toThrow('whole number of seconds');
      expect(settingsProblems(tenantCacheSettings, { TENANT_CACHE_TTL_SECONDS: String(bad) })).toEqual([expect.stringMatching(/^TENANT_CACHE_TTL_SECONDS: /)]);
    }
  });
});
