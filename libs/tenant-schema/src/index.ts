export * from './migration-phase';
export * from './tenant-schema';
export * from './entities/customer.entity';
export * from './entities/order.entity';
export * from './entities/order-line.entity';
