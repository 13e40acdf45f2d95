/** Every tenant-scoped Redis key is built here, so none can be written without its tenant prefix. */
export const tenantCacheKeys = {
  connection: (tenantId: string) => `tenant:connstr:${tenantId}`,
};

/**
 * Pub/sub channel on which registry writes announce that a tenant's cached entries are stale.
 * Channels are not keys, so ioredis does not prefix them: the deployment's key prefix is added here.
 */
export function tenantInvalidationChannel(keyPrefix: string): string {
  return `${keyPrefix}tenant:invalidate`;
}
