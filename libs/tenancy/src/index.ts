export * from './tenancy.module';
export * from './tenancy-options';
export * from './context/tenant-context';
export * from './resolution/tenant-resolver';
export * from './connections/tenant-connection-manager';
export * from './connections/tenant-connections-exhausted.error';
export * from './http/tenant-active.guard';
export * from './http/tenant-scoped.decorator';
