export * from './migration-phase';
export * from './tenant-schema';
export * from './entities/customer.entity';
export * from './entities/order.entity';
export * from './entities/order-line.entity';
export * from './lint/destructive-statements';
export * from './lint/lint-migrations';
export * from './contract-gate';
