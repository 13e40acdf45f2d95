import { DEFAULT_TENANT_CACHE_TTL_SECONDS, tenantCacheSettings } from './tenant-cache-settings';

describe('tenantCacheSettings', () => {
  it('is the one default lifetime, whoever leaves it unset', () => {
    expect(tenantCacheSettings()).toEqual({ ttlSeconds: DEFAULT_TENANT_CACHE_TTL_SECONDS });
    expect(tenantCacheSettings(undefined)).toEqual(tenantCacheSettings());
    expect(tenantCacheSettings(60)).toEqual({ ttlSeconds: 60 });
  });

  it('refuses a lifetime Redis could not give an entry (SET EX takes whole seconds, at least 1)', () => {
    for (const bad of [0, -5, 1.5, Number.NaN]) expect(() => tenantCacheSettings(bad)).toThrow('whole number of seconds');
  });
});
