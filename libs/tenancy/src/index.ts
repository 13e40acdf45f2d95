export * from './tenancy.module';
export * from './tenancy-options';
export * from './tenant-context';
export * from './tenant-resolver';
export * from './tenant-connection-manager';
export * from './tenant-active.guard';
export * from './tenant-scoped.decorator';
