import { loadSettings, type RawEnv } from '@tenantry/common';
import { settingsProblems } from '@tenantry/common/testing';
import { randomBytes } from 'node:crypto';
import { secretsSettings } from './secrets-options';

const key = randomBytes(32).toString('base64');

const problemsOf = (env: RawEnv) => settingsProblems(secretsSettings, env).join('\n');

describe('secretsSettings', () => {
  it('protects with the local key by default', () => {
    const secrets = loadSettings(secretsSettings, { SECRETS_KEY: key });
    expect(secrets).toMatchObject({ provider: 'local', keyId: 'k1' });
    expect(secrets.key).toHaveLength(32);
  });

  it('refuses to start without a secrets key and says how to get one', () => {
    expect(() => loadSettings(secretsSettings, {})).toThrow(/SECRETS_KEY: is required with SECRETS_PROVIDER=local \(the default\).*npm start/);
    expect(problemsOf({ SECRETS_KEY: 'c2hvcnQ=' })).toContain('SECRETS_KEY: must be base64 of exactly 32 bytes');
  });

  it('takes Key Vault without a local key, and keeps the local key to open older ciphertexts', () => {
    expect(loadSettings(secretsSettings, { SECRETS_PROVIDER: 'key-vault', KEY_VAULT_URL: 'https://tenantry-prod.vault.azure.net/' })).toEqual({
      provider: 'key-vault',
      keyVaultUrl: 'https://tenantry-prod.vault.azure.net',
      key: undefined,
      keyId: 'k1',
      keyVaultKeyName: 'tenantry-secrets',
    });
    const switching = loadSettings(secretsSettings, { SECRETS_PROVIDER: 'key-vault', KEY_VAULT_URL: 'https://kv.vault.azure.net', SECRETS_KEY: key });
    expect(switching).toMatchObject({ provider: 'key-vault', keyVaultUrl: 'https://kv.vault.azure.net' });
    expect(switching.key).toHaveLength(32);
  });

  it('names the setting a provider is missing, with the other problems', () => {
    const problems = problemsOf({ SECRETS_PROVIDER: 'key-vault', SECRETS_KEY_ID: 'no spaces' });
    expect(problems).toContain('KEY_VAULT_URL: is required with SECRETS_PROVIDER=key-vault');
    expect(problems).toContain('SECRETS_KEY_ID');
    expect(problems).not.toContain('SECRETS_KEY:');
  });

  it('refuses a vault URL that is not https or carries a path, and an unknown provider', () => {
    expect(problemsOf({ SECRETS_PROVIDER: 'key-vault', KEY_VAULT_URL: 'http://kv.vault.azure.net' })).toContain('KEY_VAULT_URL: must be the https URL');
    expect(problemsOf({ SECRETS_PROVIDER: 'key-vault', KEY_VAULT_URL: 'https://kv.vault.azure.net/secrets/x' })).toContain('KEY_VAULT_URL');
    expect(problemsOf({ SECRETS_PROVIDER: 'vault', SECRETS_KEY: key })).toContain('SECRETS_PROVIDER');
  });
});
