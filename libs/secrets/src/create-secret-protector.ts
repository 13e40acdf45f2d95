import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { SecretClient, type SecretClientOptions } from '@azure/keyvault-secrets';
import { KeyVaultProtector, type KeyVaultProtectorOptions } from './key-vault.protector';
import { LocalAesGcmProtector } from './local-aes-gcm.protector';
import { ProviderSwitchProtector } from './provider-switch.protector';
import type { SecretProtector } from './secret-protector';
import type { SecretsOptions } from './secrets-options';

/** How the Key Vault client is built; production takes the defaults (DefaultAzureCredential, the SDK's pipeline). */
export interface KeyVaultClientOverrides {
  credential?: TokenCredential;
  clientOptions?: SecretClientOptions;
  protectorOptions?: KeyVaultProtectorOptions;
}

/**
 * The protector the configuration names; every process that reads or writes tenant secrets builds
 * it here. The other provider, when configured too, still opens the values it wrote.
 */
export function createSecretProtector(config: SecretsOptions, azure: KeyVaultClientOverrides = {}): SecretProtector {
  const local = config.key ? new LocalAesGcmProtector(config.key, config.keyId) : undefined;
  const keyVault = config.keyVaultUrl
    ? new KeyVaultProtector(new SecretClient(config.keyVaultUrl, azure.credential ?? new DefaultAzureCredential(), azure.clientOptions), azure.protectorOptions)
    : undefined;
  return new ProviderSwitchProtector(config.provider, { local, 'key-vault': keyVault });
}
