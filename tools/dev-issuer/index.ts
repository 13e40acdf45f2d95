export * from './local-issuer';
