import { DependencyUnavailable } from '@tenantry/common';
import { DataKeyDirectory } from '@tenantry/registry';
import { useTestRegistry } from '@tenantry/registry/testing';
import { startKeyVaultDouble, type KeyVaultDouble } from '@tenantry/secrets/testing';
import { randomBytes, randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { EnvelopeProtector } from './envelope.protector';
import { KeyVaultProtector } from './key-vault.protector';
import { LocalAesGcmProtector } from './local-aes-gcm.protector';
import { ProviderSwitchProtector } from './provider-switch.protector';
import { SecretUnreadable } from './secret-unreadable.error';

const KEY = 'tenantry-secrets';

describe('EnvelopeProtector: tenant secrets under a Key Vault-wrapped data key, through the real KeyClient and the registry', () => {
  const db = useTestRegistry();
  let vault: KeyVaultDouble;
  let dataKeys: DataKeyDirectory;

  beforeEach(async () => {
    vault = await startKeyVaultDouble();
    vault.createKey(KEY);
    dataKeys = new DataKeyDirectory((sql, params) => db.dataSource.query(sql, params));
    await db.dataSource.query('DELETE FROM data_keys');
  });

  afterEach(async () => {
    expect(vault.violations).toEqual([]);
    await vault.close();
  });

  /** A process of its own: its own SDK client and caches, the same vault and registry. */
  const newProcess = (options: { timeoutMs?: number; currentKeyCheckMs?: number } = {}) =>
    new EnvelopeProtector(vault.keyClient(), dataKeys, { keyName: KEY, ...options });
  const keyOperations = (route: RegExp) => vault.operations.filter((operation) => operation.kind === 'key' && route.test(operation.route)).length;
  const rows = () => db.dataSource.query<Array<Record<string, unknown>>>('SELECT id, wrapping_key_id, algorithm, wrapped_key FROM data_keys ORDER BY id');

  it('round-trips; the row holds AES-GCM ciphertext, the registry only the wrapped data key, the vault no secret', async () => {
    const protector = newProcess();
    const tenant = randomUUID();
    const stored = await protector.protect('s3cret-password', tenant);

    expect(stored).toMatch(/^kw:\d+:v1\.\d+\./);
    expect(stored).not.toContain('s3cret');
    await expect(protector.unprotect(stored, tenant)).resolves.toBe('s3cret-password');
    await expect(newProcess().unprotect(stored, tenant)).resolves.toBe('s3cret-password');

    const [row] = await rows();
    expect(row).toMatchObject({
      algorithm: 'RSA-OAEP-256',
      wrapping_key_id: expect.stringMatching(new RegExp(`^${vault.url.replace(/[.]/g, '\\.')}/keys/${KEY}/[0-9a-f]{32}$`)),
    });
    expect((row.wrapped_key as Buffer).length).toBe(256); // RSA 2048: the data key travels only wrapped
    expect(vault.operations.filter((operation) => operation.kind === 'secret')).toEqual([]);
    expect(vault.requests.filter((request) => request.url.includes('/secrets/'))).toEqual([]);
  });

  it("binds each ciphertext to its tenant: another tenant's row, a tampered value or an unknown data key does not open", async () => {
    const protector = newProcess();
    const [tenantA, tenantB] = [randomUUID(), randomUUID()];
    const storedA = await protector.protect('password-of-a', tenantA);

    await expect(protector.unprotect(storedA, tenantB)).rejects.toThrow(new SecretUnreadable('stored secret does not authenticate for this tenant'));
    const [, id] = /^kw:(\d+):/.exec(storedA)!;
    await expect(protector.unprotect(storedA.replace(`kw:${id}:`, `kw:${Number(id) + 1000}:`), tenantA)).rejects.toThrow(
      new SecretUnreadable(`stored secret names data key ${Number(id) + 1000}, which the registry does not hold`),
    );
    // The next-to-last character is replaced by another (the last may carry padding bits only).
    const flipped = storedA.slice(0, -2) + (storedA.at(-2) === 'A' ? 'B' : 'A') + storedA.slice(-1);
    await expect(protector.unprotect(flipped, tenantA)).rejects.toBeInstanceOf(SecretUnreadable);
    await expect(protector.unprotect('kw:not-a-number:v1.x', tenantA)).rejects.toThrow('not a Key Vault-wrapped ciphertext');
  });

  it('two workers starting at once agree on one data key, and each opens what the other wrote', async () => {
    const workers = [newProcess(), newProcess(), newProcess(), newProcess()];
    const tenants = workers.map(() => randomUUID());
    const stored = await Promise.all(workers.map((worker, i) => worker.protect(`password-${i}`, tenants[i])));

    expect(await rows()).toHaveLength(1);
    expect(new Set(stored.map((value) => /^kw:(\d+):/.exec(value)![1])).size).toBe(1);
    for (const [i, worker] of workers.entries())
      await expect(worker.unprotect(stored[(i + 1) % workers.length], tenants[(i + 1) % workers.length])).resolves.toBe(`password-${(i + 1) % workers.length}`);
  });

  it('a process unwraps each data key once, however many tenants it opens', async () => {
    const writer = newProcess();
    const tenants = Array.from({ length: 200 }, () => randomUUID());
    const stored = await Promise.all(tenants.map((tenant) => writer.protect(`password-of-${tenant}`, tenant)));
    expect(keyOperations(/\/wrapkey$/)).toBe(1);

    // A business service reads data_keys through its own pg pool (libs/tenancy's registry pool), not TypeORM.
    const pool = new Pool({ connectionString: db.env.databaseUrl(db.env.adminDatabase), max: 2 });
    const readerKeys = new DataKeyDirectory(async (sql, params) => (await pool.query(sql, params)).rows as Array<Record<string, unknown>>);
    const before = vault.operations.length;
    const reader = new EnvelopeProtector(vault.keyClient(), readerKeys, { keyName: KEY });
    try {
      // All at once, as a replica's first requests after a restart arrive: concurrent callers share one unwrap.
      const opened = await Promise.all(tenants.map((tenant, i) => reader.unprotect(stored[i], tenant)));
      expect(opened).toEqual(tenants.map((tenant) => `password-of-${tenant}`));
      await Promise.all(tenants.map((tenant, i) => reader.unprotect(stored[i], tenant)));
    } finally {
      await pool.end();
    }

    const readerOperations = vault.operations.slice(before).map((operation) => operation.route.replace(/\/[0-9a-f]{32}/, '/{version}'));
    // The SDK's CryptographyClient reads the key (GET) before it unwraps remotely: two operations per data key per process.
    expect(readerOperations).toEqual([`GET /keys/${KEY}/{version}`, `POST /keys/${KEY}/{version}/unwrapkey`]);
  });

  it('a key rotation leaves existing ciphertexts readable; new data keys are wrapped by the current version', async () => {
    const before = newProcess();
    const oldTenant = randomUUID();
    const oldValue = await before.protect('before-rotation', oldTenant);
    const newVersion = vault.createKey(KEY);

    // A worker started after the rotation, and one that checks the current version on every write.
    for (const writer of [newProcess(), newProcess({ currentKeyCheckMs: 0 })]) {
      const tenant = randomUUID();
      const value = await writer.protect('after-rotation', tenant);
      await expect(newProcess().unprotect(value, tenant)).resolves.toBe('after-rotation');
      await expect(writer.unprotect(oldValue, oldTenant)).resolves.toBe('before-rotation');
    }
    await expect(newProcess().unprotect(oldValue, oldTenant)).resolves.toBe('before-rotation');
    const wrappingKeys = (await rows()).map((row) => (row.wrapping_key_id as string).split('/').pop());
    expect(wrappingKeys).toHaveLength(2);
    expect(wrappingKeys[1]).toBe(newVersion);
    // The worker started before the rotation goes on with the data key it has until its next check.
    expect((await before.protect('still-old-key', oldTenant)).split(':')[1]).toBe(oldValue.split(':')[1]);
  });

  it('a vault that is down or refuses gives a clear DependencyUnavailable; a data key already open keeps serving', async () => {
    const stored = await newProcess().protect('pw', randomUUID());
    const tenant = randomUUID();
    const value = await newProcess().protect('pw', tenant);
    expect(stored.split(':')[1]).toBe(value.split(':')[1]);

    // The SDK answers a 403 on its GET of the key by going on remotely: the refusal that counts is the unwrap's.
    vault.failNext(403, 2);
    await expect(newProcess().unprotect(value, tenant)).rejects.toThrow(
      new DependencyUnavailable('Key Vault refused to unwrap a data key (HTTP 403): the identity needs the "Key Vault Crypto Service Encryption User" role on the vault'),
    );
    vault.failNext(503, 3);
    await expect(newProcess().unprotect(value, tenant)).rejects.toThrow(new DependencyUnavailable('Key Vault failed to unwrap a data key (HTTP 503 ServiceUnavailable)'));

    // A process that has its data key open keeps serving while the vault is away; one that has not says why it cannot.
    const warm = newProcess();
    await warm.unprotect(value, tenant);
    const cold = newProcess();
    await vault.close();
    await expect(warm.unprotect(value, tenant)).resolves.toBe('pw');
    const error = await cold.unprotect(value, tenant).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DependencyUnavailable);
    expect((error as Error).message).toMatch(/^Key Vault cannot be reached \(\w+\) to unwrap a data key$/);
    await expect(cold.protect('pw', tenant)).rejects.toThrow(/^Key Vault cannot be reached \(\w+\) to read the wrapping key$/);
  });

  it('answers 429 with Retry-After past the configured limit, and the SDK waits it out', async () => {
    await vault.close();
    vault = await startKeyVaultDouble({ keysPer10s: 2 });
    vault.createKey(KEY);
    const tenant = randomUUID();
    const value = await newProcess().protect('pw', tenant); // GET, GET (the CryptographyClient's), wrap: the third is throttled
    expect(vault.throttled.map((operation) => operation.route)).toEqual([expect.stringMatching(/\/wrapkey$/)]);
    expect(vault.operations.filter((operation) => operation.route.endsWith('/wrapkey'))).toHaveLength(1);
    expect(value).toMatch(/^kw:/);
  }, 30_000);

  it('behind ProviderSwitchProtector: old kv: secrets and local ciphertexts still open; retiring kw: is a no-op, kv: soft-deletes', async () => {
    const localKey = randomBytes(32);
    const local = new LocalAesGcmProtector(localKey, 'k1');
    const secrets = new KeyVaultProtector(vault.client(), { pollIntervalMs: 5 });
    const protector = new ProviderSwitchProtector('key-vault-envelope', { local, 'key-vault-secret': secrets, 'key-vault-envelope': newProcess() });
    const [tenantLocal, tenantKv, tenantKw] = [randomUUID(), randomUUID(), randomUUID()];
    const oldLocal = await local.protect('local-password', tenantLocal);
    const oldKv = vault.seedTenantSecret(tenantKv, 'kv-password');
    const newKw = await protector.protect('kw-password', tenantKw);

    expect(newKw).toMatch(/^kw:/);
    await expect(protector.unprotect(oldLocal, tenantLocal)).resolves.toBe('local-password');
    await expect(protector.unprotect(oldKv, tenantKv)).resolves.toBe('kv-password');
    await expect(protector.unprotect(newKw, tenantKw)).resolves.toBe('kw-password');

    const requests = vault.requests.length;
    await protector.retire(newKw, tenantKw);
    expect(vault.requests).toHaveLength(requests);
    await protector.retire(oldKv, tenantKv);
    expect(vault.inspect(`tenant-${tenantKv}`)?.state).toBe('deleted');
  });
});
