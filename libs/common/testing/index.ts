export * from './test-env';
export * from './https-double';
