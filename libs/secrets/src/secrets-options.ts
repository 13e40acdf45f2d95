import { defineSettings, type RawEnv } from '@tenantry/common';
import { z } from 'zod';

/**
 * The provider named writes new secrets; the other one, when configured too, still opens what it
 * wrote, so switching needs no migration of existing rows.
 */
export type SecretsOptions = { keyId: string; keyVaultKeyName: string } & (
  { provider: 'local'; key: Buffer; keyVaultUrl?: string } | { provider: 'key-vault'; keyVaultUrl: string; key?: Buffer }
);

// Read from the raw env so that these are listed together with every other problem.
function providerProblems(env: RawEnv): string[] {
  if ((env.SECRETS_PROVIDER ?? 'local') === 'local' && env.SECRETS_KEY === undefined) {
    return ['SECRETS_KEY: is required with SECRETS_PROVIDER=local (the default): a base64-encoded 32-byte key (npm start writes one to ~/.config/tenantry/dev.env)'];
  }
  if (env.SECRETS_PROVIDER === 'key-vault' && env.KEY_VAULT_URL === undefined) {
    return ['KEY_VAULT_URL: is required with SECRETS_PROVIDER=key-vault: the https URL of the vault, e.g. https://<name>.vault.azure.net'];
  }
  return [];
}

export const secretsSettings = defineSettings({
  variables: {
    SECRETS_PROVIDER: z.enum(['local', 'key-vault']).default('local'),
    // Required for one provider only: providerProblems says which is missing for which.
    SECRETS_KEY: z
      .string()
      .refine((value) => Buffer.from(value, 'base64').length === 32, 'must be base64 of exactly 32 bytes')
      .optional(),
    SECRETS_KEY_ID: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,32}$/)
      .default('k1'),
    KEY_VAULT_URL: z
      .string()
      .url()
      .refine((value) => /^https:\/\/[^/]+\/?$/.test(value), 'must be the https URL of the vault, e.g. https://<name>.vault.azure.net')
      .optional(),
    // The Key Vault key that wraps the data keys tenant secrets are encrypted with (infra/main.bicep creates it).
    KEY_VAULT_KEY_NAME: z
      .string()
      .regex(/^[0-9a-zA-Z-]{1,127}$/, 'must be a Key Vault key name: 1-127 letters, digits or hyphens')
      .default('tenantry-secrets'),
  },
  precheck: providerProblems,
  build: (e): SecretsOptions => {
    const key = e.SECRETS_KEY === undefined ? undefined : Buffer.from(e.SECRETS_KEY, 'base64');
    const keyVaultUrl = e.KEY_VAULT_URL === undefined ? undefined : new URL(e.KEY_VAULT_URL).origin;
    // providerProblems has already refused a provider without its setting.
    const names = { keyId: e.SECRETS_KEY_ID, keyVaultKeyName: e.KEY_VAULT_KEY_NAME };
    if (e.SECRETS_PROVIDER === 'key-vault') return { provider: 'key-vault', keyVaultUrl: keyVaultUrl!, key, ...names };
    return { provider: 'local', key: key!, keyVaultUrl, ...names };
  },
});
