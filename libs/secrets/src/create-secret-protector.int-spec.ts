import { loadSettings, type RawEnv } from '@tenantry/common';
import { DataKeyDirectory } from '@tenantry/registry';
import { useTestRegistry } from '@tenantry/registry/testing';
import { startKeyVaultDouble, type KeyVaultDouble } from '@tenantry/secrets/testing';
import { randomBytes, randomUUID } from 'node:crypto';
import { createSecretProtector } from './create-secret-protector';
import { LocalAesGcmProtector } from './local-aes-gcm.protector';
import { SecretUnreadable } from './secret-unreadable.error';
import { secretsSettings } from './secrets-options';

describe('createSecretProtector: switching SECRETS_PROVIDER without migrating existing rows', () => {
  const db = useTestRegistry();
  const key = randomBytes(32);
  const secretsKey = key.toString('base64');
  let vault: KeyVaultDouble;

  beforeEach(async () => {
    vault = await startKeyVaultDouble();
    vault.createKey('tenantry-secrets');
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
      dataKeys: new DataKeyDirectory((sql, params) => db.dataSource.query(sql, params)),
    });
  const existingLocal = (tenant: string, password: string) => new LocalAesGcmProtector(key, 'k1').protect(password, tenant);
  // What SECRETS_PROVIDER=key-vault wrote before the envelope format: one vault secret per tenant.
  const existingKv = (tenant: string, password: string) => vault.seedTenantSecret(tenant, password);

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

  it('key-vault with SECRETS_KEY writes envelope ciphertexts (no vault secret) and still opens and retires the rows written before', async () => {
    const protector = build({ SECRETS_PROVIDER: 'key-vault', KEY_VAULT_URL: vault.url, SECRETS_KEY: secretsKey });
    const [local, kv, after] = [randomUUID(), randomUUID(), randomUUID()];
    const localRow = await existingLocal(local, 'password-local');
    const kvRow = existingKv(kv, 'password-kv');
    const newRow = await protector.protect('password-after', after);

    expect(newRow).toMatch(/^kw:\d+:v1\./);
    expect(vault.inspect(`tenant-${after}`)).toBeUndefined();
    await expect(protector.unprotect(localRow, local)).resolves.toBe('password-local');
    await expect(protector.unprotect(kvRow, kv)).resolves.toBe('password-kv');
    await expect(protector.unprotect(newRow, after)).resolves.toBe('password-after');
    // The tenant binding holds across formats.
    await expect(protector.unprotect(localRow, after)).rejects.toBeInstanceOf(SecretUnreadable);
    await expect(protector.unprotect(newRow, local)).rejects.toBeInstanceOf(SecretUnreadable);

    const requests = vault.requests.length;
    await protector.retire(localRow, local);
    await protector.retire(newRow, after);
    expect(vault.requests).toHaveLength(requests);
    await protector.retire(kvRow, kv);
    expect(vault.inspect(`tenant-${kv}`)?.state).toBe('deleted');
  });

  it("a vault without the registry's data keys is a wiring mistake, refused when the protector is built", () => {
    expect(() =>
      createSecretProtector(loadSettings(secretsSettings, { SECRETS_PROVIDER: 'key-vault', KEY_VAULT_URL: vault.url }), { credential: vault.credential }),
    ).toThrow("a protector with KEY_VAULT_URL needs the registry's data keys (DataKeyDirectory)");
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

  it('switching back to local with KEY_VAULT_URL still set opens the values written meanwhile, both Key Vault formats', async () => {
    const [tenant, kvTenant] = [randomUUID(), randomUUID()];
    const wrapped = await build({ SECRETS_PROVIDER: 'key-vault', KEY_VAULT_URL: vault.url }).protect('from-the-vault', tenant);
    const reference = existingKv(kvTenant, 'from-a-vault-secret');
    const protector = build({ SECRETS_PROVIDER: 'local', SECRETS_KEY: secretsKey, KEY_VAULT_URL: vault.url });
    await expect(protector.unprotect(wrapped, tenant)).resolves.toBe('from-the-vault');
    await expect(protector.unprotect(reference, kvTenant)).resolves.toBe('from-a-vault-secret');
    expect(await protector.protect('pw', tenant)).toMatch(/^v1\.k1\./);
  });

  it('local without KEY_VAULT_URL says what it lacks to open an envelope ciphertext', async () => {
    const tenant = randomUUID();
    const wrapped = await build({ SECRETS_PROVIDER: 'key-vault', KEY_VAULT_URL: vault.url }).protect('pw', tenant);
    await expect(build({ SECRETS_KEY: secretsKey }).unprotect(wrapped, tenant)).rejects.toThrow(
      new SecretUnreadable('stored secret is a Key Vault-wrapped ciphertext, and this process has no KEY_VAULT_URL to open it'),
    );
    await expect(build({ SECRETS_KEY: secretsKey }).retire(wrapped, tenant)).resolves.toBeUndefined();
  });
});
