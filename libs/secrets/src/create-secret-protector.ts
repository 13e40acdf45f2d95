import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { KeyClient, type KeyClientOptions } from '@azure/keyvault-keys';
import { SecretClient, type SecretClientOptions } from '@azure/keyvault-secrets';
import type { DataKeyStore } from './data-key-store';
import { EnvelopeProtector } from './envelope.protector';
import { KeyVaultProtector, type KeyVaultProtectorOptions } from './key-vault.protector';
import { LocalAesGcmProtector } from './local-aes-gcm.protector';
import { ProviderSwitchProtector } from './provider-switch.protector';
import type { SecretProtector } from './secret-protector';
import type { SecretsOptions } from './secrets-options';

/** How the Key Vault clients are built; production takes the defaults (DefaultAzureCredential, the SDKs' pipelines). */
export interface KeyVaultClientOverrides {
  credential?: TokenCredential;
  clientOptions?: SecretClientOptions & KeyClientOptions;
  protectorOptions?: KeyVaultProtectorOptions & { currentKeyCheckMs?: number };
}

/** What the protector needs besides its settings: the registry's data keys, wherever a vault is configured. */
export interface SecretProtectorDependencies extends KeyVaultClientOverrides {
  dataKeys?: DataKeyStore;
}

/**
 * The protector the configuration names; every process that reads or writes tenant secrets builds
 * it here. The other provider, when configured too, still opens the values it wrote. With a vault,
 * new secrets are envelope-encrypted (`kw:`); per-tenant vault secrets written before (`kv:`) still open.
 */
export function createSecretProtector(config: SecretsOptions, dependencies: SecretProtectorDependencies = {}): SecretProtector {
  const local = config.key ? new LocalAesGcmProtector(config.key, config.keyId) : undefined;
  if (!config.keyVaultUrl) return new ProviderSwitchProtector('local', { local });
  if (!dependencies.dataKeys) throw new Error("a protector with KEY_VAULT_URL needs the registry's data keys (DataKeyDirectory)");
  const credential = dependencies.credential ?? new DefaultAzureCredential();
  const { timeoutMs, currentKeyCheckMs } = dependencies.protectorOptions ?? {};
  const keyVaultSecrets = new KeyVaultProtector(new SecretClient(config.keyVaultUrl, credential, dependencies.clientOptions), dependencies.protectorOptions);
  const keyVaultEnvelope = new EnvelopeProtector(new KeyClient(config.keyVaultUrl, credential, dependencies.clientOptions), dependencies.dataKeys, {
    keyName: config.keyVaultKeyName,
    timeoutMs,
    currentKeyCheckMs,
  });
  return new ProviderSwitchProtector(config.provider === 'local' ? 'local' : 'key-vault-envelope', {
    local,
    'key-vault-secret': keyVaultSecrets,
    'key-vault-envelope': keyVaultEnvelope,
  });
}
