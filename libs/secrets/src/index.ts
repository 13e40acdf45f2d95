export * from './secret-protector';
export * from './secret-unreadable.error';
export * from './local-aes-gcm.protector';
export * from './key-vault.protector';
export * from './provider-switch.protector';
export * from './password';
export * from './secrets.module';
export * from './create-secret-protector';
