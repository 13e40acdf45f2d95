import { InvalidTenantKey } from '@tenantry/common';

/**
 * What is cached of a tenant, each under a key of its own (the name here is the key's middle part).
 * An invalidation deletes every entry listed, so a new kind of entry is one line here.
 */
const ENTRIES = {
  /** Where a tenant's database is (the secret in it still protected). */
  connection: 'connstr',
} as const;

export type TenantCacheEntry = keyof typeof ENTRIES;

/**
 * The id as it appears inside a key: percent-encoded, so no id can contain the separator or spell
 * another id's key, and refused when it is not well-formed Unicode (two different lone surrogates
 * would otherwise both become U+FFFD on the wire and share a key).
 */
function keyPart(tenantId: string): string {
  if (tenantId.length === 0 || tenantId.length > 128 || !tenantId.isWellFormed()) {
    throw new InvalidTenantKey('tenant id is empty, longer than 128 characters or not well-formed Unicode');
  }
  return encodeURIComponent(tenantId);
}

/** Every tenant-scoped Redis key is built here, so none can be written without its tenant prefix. */
export const tenantCacheKeys = {
  entry: (entry: TenantCacheEntry, tenantId: string) => `tenant:${ENTRIES[entry]}:${keyPart(tenantId)}`,
  /** Every entry of the tenant: what an invalidation deletes. */
  entries: (tenantId: string) => (Object.keys(ENTRIES) as TenantCacheEntry[]).map((entry) => tenantCacheKeys.entry(entry, tenantId)),
  /** Bumped by every invalidation, so a resolver that read the registry before it cannot cache what it read. */
  generation: (tenantId: string) => `tenant:gen:${keyPart(tenantId)}`,
};

/**
 * Pub/sub channel on which registry writes announce that a tenant's cached entries are stale.
 * Channels are not keys, so ioredis does not prefix them: the connection's key prefix is added here.
 */
export function tenantInvalidationChannel(keyPrefix: string): string {
  return `${keyPrefix}tenant:invalidate`;
}
