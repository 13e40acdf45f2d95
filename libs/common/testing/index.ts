export * from './test-env';
export * from './https-double';
export * from './tcp-proxy';
