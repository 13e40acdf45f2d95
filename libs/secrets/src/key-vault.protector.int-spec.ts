import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DependencyUnavailable } from '@tenantry/common';
import { startKeyVaultDouble, KEY_VAULT_SCOPE, type KeyVaultDouble } from '@tenantry/secrets/testing';
import { KEY_VAULT_CONTENT_TYPE, KeyVaultProtector } from './key-vault.protector';
import { SecretUnreadable } from './secret-unreadable.error';

describe('KeyVaultProtector through the real SecretClient', () => {
  let vault: KeyVaultDouble;
  let protector: KeyVaultProtector;
  let protectorClient: ReturnType<KeyVaultDouble['client']>;

  beforeEach(async () => {
    vault = await startKeyVaultDouble();
    protectorClient = vault.client();
    protector = new KeyVaultProtector(protectorClient, { pollIntervalMs: 5, timeoutMs: 5_000 });
  });

  afterEach(async () => {
    expect(vault.violations).toEqual([]);
    await vault.close();
  });

  const routes = () => vault.requests.map((request) => `${request.method} ${new URL(request.url, vault.url).pathname}`);

  it('stores the secret under the tenant, tagged and typed, and keeps only a reference in the registry', async () => {
    const tenant = randomUUID();
    const reference = await protector.protect('s3cret-password', tenant);

    expect(reference).toMatch(new RegExp(`^kv:${vault.url.replace(/[.]/g, '\\.')}/secrets/tenant-${tenant}/[0-9a-f]{32}$`));
    expect(reference).not.toContain('s3cret');
    const stored = vault.inspect(`tenant-${tenant}`);
    expect(stored?.state).toBe('active');
    expect(stored?.versions).toEqual([
      expect.objectContaining({ value: 's3cret-password', contentType: KEY_VAULT_CONTENT_TYPE, tags: { tenant_id: tenant } }),
    ]);
    await expect(protector.unprotect(reference, tenant)).resolves.toBe('s3cret-password');

    // Challenge-based auth: the first request goes without a token (and without its body), the SDK
    // asks the credential for the vault scope the challenge names, then sends the request again.
    expect(vault.requests[0]).toMatchObject({ method: 'PUT', body: undefined });
    expect(vault.requests[0].headers.authorization).toBeUndefined();
    expect(vault.requests[1]).toMatchObject({ method: 'PUT', body: { value: 's3cret-password', tags: { tenant_id: tenant } } });
    expect(vault.scopes).toEqual([KEY_VAULT_SCOPE]);
    expect(routes()).toEqual([`PUT /secrets/tenant-${tenant}`, `PUT /secrets/tenant-${tenant}`, `GET /secrets/tenant-${tenant}/${reference.split('/').pop()}`]);
  });

  it('reads the exact version named, not the latest, and refuses a version an operator disabled', async () => {
    const tenant = randomUUID();
    const first = await protector.protect('first-password', tenant);
    const second = await protector.protect('second-password', tenant);
    expect(second).not.toBe(first);
    await expect(protector.unprotect(first, tenant)).resolves.toBe('first-password');
    await expect(protector.unprotect(second, tenant)).resolves.toBe('second-password');

    vault.disable(`tenant-${tenant}`, second.split('/').pop()!);
    await expect(protector.unprotect(second, tenant)).rejects.toThrow(new SecretUnreadable('the secret version the registry names is disabled in the vault'));
    await expect(protector.unprotect(first, tenant)).resolves.toBe('first-password');
  });

  it("refuses another tenant's reference, another vault, a secret tagged for someone else, and a malformed reference", async () => {
    const tenantA = randomUUID();
    const tenantB = randomUUID();
    const referenceA = await protector.protect('password-of-a', tenantA);

    await expect(protector.unprotect(referenceA, tenantB)).rejects.toThrow(new SecretUnreadable('stored secret belongs to another tenant'));
    await expect(protector.unprotect(referenceA.replace('127.0.0.1', 'localhost'), tenantA)).rejects.toThrow(/another vault \(localhost:\d+\)/);
    await expect(protector.unprotect(referenceA.replace(/\/[0-9a-f]{32}$/, ''), tenantA)).rejects.toThrow('names no version');
    await expect(protector.unprotect('kv:not a url', tenantA)).rejects.toThrow('malformed');
    await expect(protector.unprotect('v1.k1.aaa.bbb.ccc', tenantA)).rejects.toBeInstanceOf(SecretUnreadable);

    // Someone with write access to the vault puts A's password under B's name: the tag gives it away.
    const planted = await vault.client().setSecret(`tenant-${tenantB}`, 'password-of-a', { tags: { tenant_id: tenantA } });
    await expect(protector.unprotect(`kv:${planted.properties.id}`, tenantB)).rejects.toThrow('not tagged for this tenant');

    // Retiring with the wrong tenant must not delete anything.
    await expect(protector.retire(referenceA, tenantB)).rejects.toBeInstanceOf(SecretUnreadable);
    expect(vault.inspect(`tenant-${tenantA}`)?.state).toBe('active');
  });

  it('refuses a tenant id that cannot name a Key Vault secret', async () => {
    await expect(protector.protect('pw', 'tenant_with_underscores')).rejects.toThrow('lowercase letters, digits or hyphens');
    // Key Vault names ignore case: an uppercase id would share a secret with its lowercase twin.
    await expect(protector.protect('pw', randomUUID().toUpperCase())).rejects.toThrow('lowercase letters, digits or hyphens');
    expect(vault.requests).toEqual([]);
  });

  it('retires by soft delete; a second retire is done already; a re-protect recovers the name and adds a version', async () => {
    const tenant = randomUUID();
    const name = `tenant-${tenant}`;
    const before = await protector.protect('old-password', tenant);

    await protector.retire(before, tenant);
    expect(vault.inspect(name)?.state).toBe('deleted');
    await expect(protector.unprotect(before, tenant)).rejects.toThrow(new SecretUnreadable('the secret version the registry names is not in the vault (deleted or purged)'));
    await expect(protector.retire(before, tenant)).resolves.toBeUndefined();
    expect(vault.inspect(name)?.state).toBe('deleted');

    // Key Vault refuses writes for a moment after a recovery; protect waits it out.
    vault.busyWritesAfterRecover(2);
    const requestsBefore = vault.requests.length;
    const after = await protector.protect('new-password', tenant);
    expect(routes().slice(requestsBefore)).toEqual([
      `PUT /secrets/${name}`, // 409 ObjectIsDeletedButRecoverable
      `GET /secrets/${name}/`, // the SDK's recover poller: already live?
      `POST /deletedsecrets/${name}/recover`,
      `GET /secrets/${name}/`, // poll until recovered
      `PUT /secrets/${name}`, // 409 ObjectIsBeingRecovered
      `PUT /secrets/${name}`, // 409 ObjectIsBeingRecovered
      `PUT /secrets/${name}`,
    ]);
    expect(vault.inspect(name)).toMatchObject({ state: 'active', versions: [{ value: 'old-password' }, { value: 'new-password' }] });
    await expect(protector.unprotect(after, tenant)).resolves.toBe('new-password');
    // A retried step writes yet another version, and the reference it returns is the one that counts.
    const again = await protector.protect('newer-password', tenant);
    await expect(protector.unprotect(again, tenant)).resolves.toBe('newer-password');
  });

  it('a name the vault keeps busy: refused after ten writes, or when the time is up even in the middle of a wait', async () => {
    const tenant = randomUUID();
    const name = `tenant-${tenant}`;
    await protector.retire(await protector.protect('old-password', tenant), tenant);
    vault.busyWritesAfterRecover(1_000);
    const requestsBefore = vault.requests.length;
    await expect(protector.protect('new-password', tenant)).rejects.toThrow(
      new DependencyUnavailable('Key Vault kept the secret name busy (being deleted or recovered) through 10 attempts'),
    );
    expect(routes().slice(requestsBefore).filter((route) => route === `PUT /secrets/${name}`)).toHaveLength(10);

    // Polls a minute apart, 2 s to do it all: the refusal comes with the timeout, not with the next poll.
    // (A client that has authenticated already, so the time goes to the write and the wait after it.)
    const impatient = new KeyVaultProtector(protectorClient, { timeoutMs: 2_000, pollIntervalMs: 60_000 });
    const patience = new AbortController();
    const outcome = Promise.race([impatient.protect('newer-password', tenant), sleep(20_000, 'still waiting to poll', { signal: patience.signal })]);
    await expect(outcome).rejects.toThrow(new DependencyUnavailable('Key Vault did not answer within 2000 ms (store the secret)'));
    patience.abort();
  });

  it('turns an unreachable vault into a clear unavailable error that carries no secret', async () => {
    const tenant = randomUUID();
    const reference = await protector.protect('do-not-leak-me', tenant);
    await vault.close();

    const errors = await Promise.all([
      protector.protect('do-not-leak-me', tenant).catch((error: unknown) => error),
      protector.unprotect(reference, tenant).catch((error: unknown) => error),
      protector.retire(reference, tenant).catch((error: unknown) => error),
    ]);
    for (const error of errors) {
      expect(error).toBeInstanceOf(DependencyUnavailable);
      expect((error as DependencyUnavailable).category).toBe('unavailable');
      expect((error as Error).message).toMatch(/^Key Vault cannot be reached \(\w+\) to (store|read|delete) the secret$/);
      expect(JSON.stringify({ message: (error as Error).message, details: (error as DependencyUnavailable).details })).not.toContain('do-not-leak-me');
      expect((error as Error).cause).toBeUndefined();
    }
  });

  it('reports a vault that keeps failing, refuses access or never answers', async () => {
    const tenant = randomUUID();
    const reference = await protector.protect('pw', tenant);

    vault.failNext(503, 3);
    await expect(protector.unprotect(reference, tenant)).rejects.toThrow(new DependencyUnavailable('Key Vault failed to read the secret (HTTP 503 ServiceUnavailable)'));

    vault.failNext(403, 1);
    await expect(protector.protect('pw', tenant)).rejects.toThrow(/refused to store the secret \(HTTP 403\): the identity needs the "Key Vault Secrets Officer" role/);
    vault.failNext(403, 1);
    await expect(protector.unprotect(reference, tenant)).rejects.toThrow(/refused to read the secret \(HTTP 403\): the identity needs the "Key Vault Secrets User" role/);

    vault.hang();
    const impatient = new KeyVaultProtector(vault.client(), { timeoutMs: 300 });
    await expect(impatient.unprotect(reference, tenant)).rejects.toThrow(new DependencyUnavailable('Key Vault did not answer within 300 ms (read the secret)'));
  });
});
