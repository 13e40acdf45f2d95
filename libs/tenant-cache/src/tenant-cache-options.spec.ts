import { DEFAULT_TENANT_CACHE_TTL_SECONDS, tenantCacheOptions } from './tenant-cache-options';

describe('tenantCacheOptions', () => {
  it('is the one default lifetime, whoever leaves it unset', () => {
    expect(tenantCacheOptions()).toEqual({ ttlSeconds: DEFAULT_TENANT_CACHE_TTL_SECONDS });
    expect(tenantCacheOptions(undefined)).toEqual(tenantCacheOptions());
    expect(tenantCacheOptions(60)).toEqual({ ttlSeconds: 60 });
  });

  it('refuses a lifetime Redis could not give an entry (SET EX takes whole seconds, at least 1)', () => {
    for (const bad of [0, -5, 1.5, Number.NaN]) expect(() => tenantCacheOptions(bad)).toThrow('whole number of seconds');
  });
});
