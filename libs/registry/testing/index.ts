export * from './test-registry';
