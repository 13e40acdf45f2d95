export * from './tenant-cache-keys';
export * from './tenant-cache-options';
export * from './tenant-cache.store';
export * from './tenant-cache.publisher';
export * from './tenant-invalidation.subscriber';
