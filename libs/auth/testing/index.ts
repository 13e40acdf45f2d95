export * from './forged-tokens';
