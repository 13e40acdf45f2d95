import { DependencyUnavailable } from '@tenantry/common';
import { startKeyVaultDouble, KEY_VAULT_SCOPE, type KeyVaultDouble } from '@tenantry/secrets/testing';
import { randomUUID } from 'node:crypto';
import { KeyVaultProtector } from './key-vault.protector';
import { SecretUnreadable } from './secret-unreadable.error';

describe('KeyVaultProtector (the per-tenant kv: format, opened and retired) through the real SecretClient', () => {
  let vault: KeyVaultDouble;
  let protector: KeyVaultProtector;

  beforeEach(async () => {
    vault = await startKeyVaultDouble();
    protector = new KeyVaultProtector(vault.client(), { pollIntervalMs: 5, timeoutMs: 5_000 });
  });

  afterEach(async () => {
    expect(vault.violations).toEqual([]);
    await vault.close();
  });

  const routes = () => vault.requests.map((request) => `${request.method} ${new URL(request.url, vault.url).pathname}`);

  it('opens the exact version a registry row names, after the vault challenge', async () => {
    const tenant = randomUUID();
    const reference = vault.seedTenantSecret(tenant, 's3cret-password');
    await expect(protector.unprotect(reference, tenant)).resolves.toBe('s3cret-password');

    // Challenge-based auth: the first request goes without a token, the SDK asks the credential for
    // the vault scope the challenge names, then sends the request again.
    expect(vault.requests[0].headers.authorization).toBeUndefined();
    expect(vault.scopes).toEqual([KEY_VAULT_SCOPE]);
    const path = `GET /secrets/tenant-${tenant}/${reference.split('/').pop()}`;
    expect(routes()).toEqual([path, path]);
  });

  it('reads the exact version named, not the latest, and refuses a version an operator disabled', async () => {
    const tenant = randomUUID();
    const first = vault.seedTenantSecret(tenant, 'first-password');
    const second = vault.seedTenantSecret(tenant, 'second-password');
    await expect(protector.unprotect(first, tenant)).resolves.toBe('first-password');
    await expect(protector.unprotect(second, tenant)).resolves.toBe('second-password');

    vault.disable(`tenant-${tenant}`, second.split('/').pop()!);
    await expect(protector.unprotect(second, tenant)).rejects.toThrow(new SecretUnreadable('the secret version the registry names is disabled in the vault'));
    await expect(protector.unprotect(first, tenant)).resolves.toBe('first-password');
  });

  it("refuses another tenant's reference, another vault, a secret tagged for someone else, and a malformed reference", async () => {
    const tenantA = randomUUID();
    const tenantB = randomUUID();
    const referenceA = vault.seedTenantSecret(tenantA, 'password-of-a');

    await expect(protector.unprotect(referenceA, tenantB)).rejects.toThrow(new SecretUnreadable('stored secret belongs to another tenant'));
    await expect(protector.unprotect(referenceA.replace('127.0.0.1', 'localhost'), tenantA)).rejects.toThrow(/another vault \(localhost:\d+\)/);
    await expect(protector.unprotect(referenceA.replace(/\/[0-9a-f]{32}$/, ''), tenantA)).rejects.toThrow('names no version');
    await expect(protector.unprotect('kv:not a url', tenantA)).rejects.toThrow('malformed');
    await expect(protector.unprotect('v1.k1.aaa.bbb.ccc', tenantA)).rejects.toBeInstanceOf(SecretUnreadable);

    // Someone with write access to the vault puts A's password under B's name: the tag gives it away.
    const planted = vault.seedTenantSecret(tenantB, 'password-of-a', { tenant_id: tenantA });
    await expect(protector.unprotect(planted, tenantB)).rejects.toThrow('not tagged for this tenant');

    // Retiring with the wrong tenant must not delete anything.
    await expect(protector.retire(referenceA, tenantB)).rejects.toBeInstanceOf(SecretUnreadable);
    expect(vault.inspect(`tenant-${tenantA}`)?.state).toBe('active');
  });

  it('retires by soft delete; a second retire is done already', async () => {
    const tenant = randomUUID();
    const name = `tenant-${tenant}`;
    const reference = vault.seedTenantSecret(tenant, 'old-password');

    await protector.retire(reference, tenant);
    expect(vault.inspect(name)?.state).toBe('deleted');
    await expect(protector.unprotect(reference, tenant)).rejects.toThrow(
      new SecretUnreadable('the secret version the registry names is not in the vault (deleted or purged)'),
    );
    await expect(protector.retire(reference, tenant)).resolves.toBeUndefined();
    expect(vault.inspect(name)?.state).toBe('deleted');
  });

  it('turns an unreachable vault into a clear unavailable error that carries no secret', async () => {
    const tenant = randomUUID();
    const reference = vault.seedTenantSecret(tenant, 'do-not-leak-me');
    await vault.close();

    const errors = await Promise.all([
      protector.unprotect(reference, tenant).catch((error: unknown) => error),
      protector.retire(reference, tenant).catch((error: unknown) => error),
    ]);
    for (const error of errors) {
      expect(error).toBeInstanceOf(DependencyUnavailable);
      expect((error as DependencyUnavailable).category).toBe('unavailable');
      expect((error as Error).message).toMatch(/^Key Vault cannot be reached \(\w+\) to (read|delete) the secret$/);
      expect(JSON.stringify({ message: (error as Error).message, details: (error as DependencyUnavailable).details })).not.toContain('do-not-leak-me');
      expect((error as Error).cause).toBeUndefined();
    }
  });

  it('reports a vault that keeps failing, refuses access or never answers', async () => {
    const tenant = randomUUID();
    const reference = vault.seedTenantSecret(tenant, 'pw');

    vault.failNext(503, 3);
    await expect(protector.unprotect(reference, tenant)).rejects.toThrow(new DependencyUnavailable('Key Vault failed to read the secret (HTTP 503 ServiceUnavailable)'));

    vault.failNext(403, 1);
    await expect(protector.unprotect(reference, tenant)).rejects.toThrow(/refused to read the secret \(HTTP 403\): the identity needs the "Key Vault Secrets User" role/);
    vault.failNext(403, 1);
    await expect(protector.retire(reference, tenant)).rejects.toThrow(
      /refused to delete the secret \(HTTP 403\): the identity needs the "Key Vault Secrets Officer" role/,
    );

    vault.hang();
    const impatient = new KeyVaultProtector(vault.client(), { timeoutMs: 300 });
    await expect(impatient.unprotect(reference, tenant)).rejects.toThrow(new DependencyUnavailable('Key Vault did not answer within 300 ms (read the secret)'));
  });
});
