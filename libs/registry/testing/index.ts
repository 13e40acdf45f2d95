export * from './test-registry';
export * from './test-server';
