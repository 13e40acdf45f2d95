import { createTestEnv } from '@tenantry/common/testing';
import { adminDatabaseSettings, DataKeyDirectory, migrateRegistry } from '@tenantry/registry';
import { EnvelopeProtector, generatePassword, KeyVaultProtector, type SecretOpener } from '@tenantry/secrets';
import { startKeyVaultDouble, type KeyVaultDouble, type VaultOperation } from '@tenantry/secrets/testing';
import { randomUUID } from 'node:crypto';
import { closedLoop, fmt, machine } from './bench-support';

// bench:vault-ops (issue 13.5). Key Vault operations when R replicas of a business service start at
// once (a new Container Apps revision starts all its replicas, then takes the traffic) and each opens
// every one of N tenants' credentials, all tenants hot: the old design, one vault secret per tenant
// read on every pool open (KeyVaultProtector), against the envelope design (EnvelopeProtector: the
// secret is ciphertext in the registry, a process unwraps the data key once). Each replica is a
// protector of its own, with its own SDK client and caches, against one Key Vault double that counts
// the operations it serves. By default the double enforces no limit, so the counts are the demand the
// fleet puts on the vault, compared with the limits Microsoft documents per vault per 10 s
// (https://learn.microsoft.com/azure/key-vault/general/service-limits): secrets, all transactions
// 4,000; RSA 2,048-bit keys, all transactions other than CREATE, 4,000 (software) and 2,000 (HSM).
// BENCH_ENFORCE_LIMITS=1 makes the double answer 429 with Retry-After past 4,000 secret and 2,000
// key operations per 10 s, as the vault would, and counts the pool opens that fail after the SDK's retries.
const TENANTS = Number(process.env.BENCH_TENANTS ?? 10_000);
const REPLICAS = Number(process.env.BENCH_REPLICAS ?? 5);
// Pools a replica opens at once: requests for many tenants arrive together after a restart.
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const WINDOW_MS = 10_000;
const LIMITS = { secret: 4_000, keySoftware: 4_000, keyHsm: 2_000 };
const KEY_NAME = 'tenantry-secrets';
const ENFORCE = process.env.BENCH_ENFORCE_LIMITS === '1';

interface Tenant {
  id: string;
  password: string;
  stored: string;
}

/** The most operations in any 10 s window (sliding over the operations' own times). */
function busiestWindow(operations: VaultOperation[]): number {
  const times = operations.map((operation) => operation.at).sort((a, b) => a - b);
  let busiest = 0;
  for (let start = 0, end = 0; end < times.length; end += 1) {
    while (times[end] - times[start] >= WINDOW_MS) start += 1;
    busiest = Math.max(busiest, end - start + 1);
  }
  return busiest;
}

interface RestartResult {
  label: string;
  operations: VaultOperation[];
  throttled: number;
  /** Opens that failed (the vault's refusal outlasting the SDK's retries), and the first reason. */
  failed: number;
  reason?: string;
  seconds: number;
}

/** R replicas start together, each opening every tenant's secret; returns the vault operations they caused. */
async function restart(label: string, vault: KeyVaultDouble, tenants: Tenant[], replica: () => SecretOpener): Promise<RestartResult> {
  const replicas = Array.from({ length: REPLICAS }, replica);
  const [before, throttledBefore] = [vault.operations.length, vault.throttled.length];
  let failed = 0;
  let reason: string | undefined;
  const started = process.hrtime.bigint();
  await Promise.all(
    replicas.map((protector) =>
      closedLoop(tenants, CONCURRENCY, async (tenant) => {
        let password: string;
        try {
          password = await protector.unprotect(tenant.stored, tenant.id);
        } catch (error) {
          failed += 1;
          reason ??= error instanceof Error ? error.message : String(error);
          return;
        }
        if (password !== tenant.password) throw new Error(`${label}: tenant ${tenant.id} opened to the wrong password`);
      }),
    ),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { label, operations: vault.operations.slice(before), throttled: vault.throttled.length - throttledBefore, failed, reason, seconds };
}

function report({ label, operations, throttled, failed, reason, seconds }: RestartResult, limit: number, limitName: string): string {
  const busiest = busiestWindow(operations);
  const kinds = [...new Set(operations.map((operation) => operation.route.replace(/tenant-[0-9a-f-]{36}/, 'tenant-{id}').replace(/\/[0-9a-f]{32}/, '/{version}')))];
  return [
    `  ${label}`,
    `    vault operations in all            ${String(operations.length).padStart(7)}   (${kinds.join(', ')})`,
    `    busiest 10 s window                ${String(busiest).padStart(7)}   ${fmt((100 * busiest) / limit, 1)}% of the documented ${fmt(limit, 0)} (${limitName})`,
    `    per replica                        ${fmt(operations.length / REPLICAS, 1).padStart(7)}`,
    `    restart took                       ${fmt(seconds, 2).padStart(7)} s   (${fmt((TENANTS * REPLICAS) / seconds, 0)} tenant opens/s here)`,
    `    answered 429                       ${String(throttled).padStart(7)}`,
    `    pool opens failed                  ${String(failed).padStart(7)}${reason ? `   (first: ${reason})` : ''}`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const env = createTestEnv();
  const vault = await startKeyVaultDouble(ENFORCE ? { secretsPer10s: LIMITS.secret, keysPer10s: LIMITS.keyHsm } : {});
  try {
    await migrateRegistry(env.settings(adminDatabaseSettings));
    const dataKeys = new DataKeyDirectory((sql, params) => env.sql(sql, params, env.adminDatabase));
    vault.createKey(KEY_NAME);

    // The old format: each tenant's password is a vault secret, put in place without a request (only the reads are measured).
    const perTenant: Tenant[] = Array.from({ length: TENANTS }, () => {
      const id = randomUUID();
      const password = generatePassword();
      return { id, password, stored: vault.seedTenantSecret(id, password) };
    });
    // The envelope format, written by one worker as provisioning would.
    const writer = new EnvelopeProtector(vault.keyClient(), dataKeys, { keyName: KEY_NAME });
    const writesBefore = vault.operations.length;
    const envelope: Tenant[] = await closedLoop(perTenant, CONCURRENCY, async ({ id, password }) => ({ id, password, stored: await writer.protect(password, id) }));
    const writes = vault.operations.slice(writesBefore);

    const baseline = await restart('per-tenant secrets (kv:, the old design)', vault, perTenant, () => new KeyVaultProtector(vault.client()));
    const wrapped = await restart(
      'envelope (kw:, one data key unwrapped per process)',
      vault,
      envelope,
      () => new EnvelopeProtector(vault.keyClient(), dataKeys, { keyName: KEY_NAME }),
    );

    const baselineBusiest = busiestWindow(baseline.operations);
    const envelopeBusiest = busiestWindow(wrapped.operations);
    process.stdout.write(
      [
        `bench:vault-ops: ${TENANTS} tenants, ${REPLICAS} replicas started at once, ${CONCURRENCY} pool opens in flight per replica`,
        `machine: ${machine()}; Key Vault: the local double (libs/secrets/testing) through the real @azure/keyvault-secrets and @azure/keyvault-keys clients, ${ENFORCE ? 'the documented limits enforced (429 + Retry-After; HSM key figure)' : 'no limit enforced (demand is measured)'}`,
        `writing ${TENANTS} envelope secrets took ${writes.length} vault operations (${writes.map((operation) => operation.route.replace(/\/[0-9a-f]{32}/, '/{version}')).join(', ')})`,
        '',
        report(baseline, LIMITS.secret, 'secrets, all transactions, per vault per 10 s'),
        report(wrapped, LIMITS.keyHsm, 'RSA 2,048-bit HSM key, all other transactions, per vault per 10 s; 4,000 for a software key'),
        `ratio: the envelope's busiest window is ${fmt(envelopeBusiest / baselineBusiest, 5)}x the baseline's (${envelopeBusiest} vs ${baselineBusiest}); in all ${wrapped.operations.length} vs ${baseline.operations.length} operations`,
        `arithmetic: per-tenant secrets cost N x R = ${TENANTS} x ${REPLICAS} = ${TENANTS * REPLICAS} secret reads per restart${
          TENANTS * REPLICAS > LIMITS.secret
            ? `: at 4,000 per 10 s they take at least ${fmt(((TENANTS * REPLICAS) / LIMITS.secret) * 10, 0)} s, the rest answered 429;`
            : ', within 4,000 per 10 s;'
        }`,
        `            the envelope costs R x D x 2 = ${REPLICAS} x 1 x 2 = ${REPLICAS * 2} key operations (GET key + unwrapkey per data key per process), whatever N is.`,
        '',
      ].join('\n'),
    );
  } finally {
    await vault.close();
    await env.cleanup();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
