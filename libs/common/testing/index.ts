export * from './test-env';
export * from './https-double';
export * from './tcp-proxy';
export * from './built-app';
export * from './http-client';
export * from './throwaway-postgres';
export * from './wait-for';
export * from './settings-problems';
