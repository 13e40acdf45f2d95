export * from './key-vault-double';
