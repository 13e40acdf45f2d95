import type { AppConfig } from '@tenantry/common';
import { LocalAesGcmProtector } from './local-aes-gcm.protector';
import type { SecretProtector } from './secret-protector';

/** The protector the configuration names; every process that reads or writes tenant secrets builds it here. */
export function createSecretProtector(config: AppConfig['secrets']): SecretProtector {
  return new LocalAesGcmProtector(config.key, config.keyId);
}
