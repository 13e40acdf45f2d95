import { randomBytes, randomUUID } from 'node:crypto';
import { loadSettings, type RawEnv } from '@tenantry/common';
import { startKeyVaultDouble, type KeyVaultDouble } from '@tenantry/secrets/testing';
import { createSecretProtector } from './create-secret-protector';
import { LocalAesGcmProtector } from './local-aes-gcm.protector';
import { SecretUnreadable } from './secret-unreadable.error';
import { secretsSettings } from './secrets-options';

describe('createSecretProtector: switching SECRETS_PROVIDER without migrating existing rows', () => {
  const key = randomBytes(32);
  const secretsKey = key.toString('base64');
  let vault: KeyVaultDouble;

  beforeEach(async () => {
    vault = await startKeyVaultDouble();
  });

  afterEach(async () => {
    expect(vault.violations).toEqual([]);
    await vault.close();
  });

  const build = (env: RawEnv) =>
    createSecretProtector(loadSettings(secretsSettings, env), {
      credential: vault.credential,
      clientOptions: vault.clientOptions,
      protectorOptions: { pollIntervalMs: 5 },
    });
  const existingLocal = (tenant: string, password: string) => new LocalAesGcmProtector(key, 'k1').protect(password, tenant);

  it('local (the default) writes AES-GCM ciphertexts and never calls a vault', async () => {
    const protector = build({ SECRETS_KEY: secretsKey });
    const tenant = randomUUID();
    const sealed = await protector.protect('pw', tenant);
    expect(sealed).toMatch(/^v1\.k1\./);
    await expect(protector.unprotect(sealed, tenant)).resolves.toBe('pw');
    await expect(protector.unprotect(`kv:${vault.url}/secrets/tenant-${tenant}/${'0'.repeat(32)}`, tenant)).rejects.toThrow(
      new SecretUnreadable('stored secret is a Key Vault reference, and this process has no KEY_VAULT_URL to open it'),
    );
    expect(vault.requests).toEqual([]);
  });

  it('key-vault with SECRETS_KEY writes to the vault and still opens and retires the rows written before the switch', async () => {
    const protector = build({ SECRETS_PROVIDER: 'key-vault', KEY_VAULT_URL: vault.url, SECRETS_KEY: secretsKey });
    const before = randomUUID();
    const after = randomUUID();
    const oldRow = await existingLocal(before, 'password-before');
    const newRow = await protector.protect('password-after', after);

    expect(newRow).toMatch(/^kv:https:\/\/127\.0\.0\.1:\d+\/secrets\/tenant-/);
    await expect(protector.unprotect(oldRow, before)).resolves.toBe('password-before');
    await expect(protector.unprotect(newRow, after)).resolves.toBe('password-after');
    // The tenant binding holds across formats.
    await expect(protector.unprotect(oldRow, after)).rejects.toBeInstanceOf(SecretUnreadable);

    const requests = vault.requests.length;
    await protector.retire(oldRow, before);
    expect(vault.requests).toHaveLength(requests);
    await protector.retire(newRow, after);
    expect(vault.inspect(`tenant-${after}`)?.state).toBe('deleted');
  });

  it('key-vault alone says what it lacks to open an old ciphertext, and retires one without the key', async () => {
    const protector = build({ SECRETS_PROVIDER: 'key-vault', KEY_VAULT_URL: vault.url });
    const tenant = randomUUID();
    const oldRow = await existingLocal(tenant, 'pw');
    await expect(protector.unprotect(oldRow, tenant)).rejects.toThrow(
      new SecretUnreadable('stored secret is a local AES-GCM ciphertext, and this process has no SECRETS_KEY to open it'),
    );
    await expect(protector.retire(oldRow, tenant)).resolves.toBeUndefined();
  });

  it('switching back to local with KEY_VAULT_URL still set opens the references written meanwhile', async () => {
    const tenant = randomUUID();
    const reference = await build({ SECRETS_PROVIDER: 'key-vault', KEY_VAULT_URL: vault.url }).protect('from-the-vault', tenant);
    const protector = build({ SECRETS_PROVIDER: 'local', SECRETS_KEY: secretsKey, KEY_VAULT_URL: vault.url });
    await expect(protector.unprotect(reference, tenant)).resolves.toBe('from-the-vault');
    expect(await protector.protect('pw', tenant)).toMatch(/^v1\.k1\./);
  });
});
