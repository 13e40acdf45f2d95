import { parseKeyVaultKeyIdentifier, type KeyClient } from '@azure/keyvault-keys';
import { DependencyUnavailable, DomainError } from '@tenantry/common';
import { randomBytes } from 'node:crypto';
import type { DataKeyStore, WrappedDataKey } from './data-key-store';
import { callVault, vaultFailure, type VaultAction, type VaultError } from './key-vault-call';
import { LocalAesGcmProtector } from './local-aes-gcm.protector';
import type { SecretProtector } from './secret-protector';
import { SecretUnreadable } from './secret-unreadable.error';

// What the registry stores: this prefix, the data key's id, then LocalAesGcmProtector's ciphertext under that key.
const PREFIX = 'kw:';
const STORED = /^kw:(\d{1,10}):(.+)$/s;
// RSA-OAEP with SHA-256: the wrap algorithm Key Vault documents for RSA keys that is not SHA-1 based.
export const WRAP_ALGORITHM = 'RSA-OAEP-256';
const DATA_KEY_BYTES = 32;

// Business services only unwrap; the worker also reads the key and wraps. "Key Vault Crypto Service
// Encryption User" grants exactly keys/read, wrapKey and unwrapKey (no encrypt, decrypt or sign).
const ROLE = 'Key Vault Crypto Service Encryption User';
const ACTIONS = {
  read: { what: 'read the wrapping key', role: ROLE },
  wrap: { what: 'wrap a data key', role: ROLE },
  unwrap: { what: 'unwrap a data key', role: ROLE },
} satisfies Record<string, VaultAction>;

export interface EnvelopeProtectorOptions {
  /** The Key Vault key (RSA or RSA-HSM) that wraps the data keys; its current version wraps new ones. */
  keyName: string;
  /** Longest one vault operation may take, the SDK's own retries included. */
  timeoutMs?: number;
  /** How long a writer keeps using the data key of the key version it found before asking the vault again for the current one. */
  currentKeyCheckMs?: number;
}

interface DataKey {
  id: number;
  sealer: LocalAesGcmProtector;
}

export function isEnvelopeValue(stored: string): boolean {
  return stored.startsWith(PREFIX);
}

/**
 * Envelope encryption, the pattern Key Vault's throttling guidance recommends for many customer
 * secrets (https://learn.microsoft.com/azure/key-vault/general/overview-throttling: keep them
 * encrypted in a database, only the key that protects them in the vault). A tenant's secret is
 * AES-256-GCM ciphertext in its registry row (LocalAesGcmProtector, tenant id as authenticated
 * data) under a data key; the data key is in the registry only wrapped by a Key Vault key version.
 * A process unwraps each data key once and keeps it in memory, so opening 10,000 tenants costs the
 * vault a few operations, not 10,000 secret reads.
 */
export class EnvelopeProtector implements SecretProtector {
  private readonly vaultUrl: string;
  private readonly timeoutMs: number;
  private readonly currentKeyCheckMs: number;
  // Data keys by id; there are about as many as wrapping key versions ever used, so nothing is evicted.
  // A failed unwrap is dropped, so the next caller tries again.
  private readonly unwrapped = new Map<number, Promise<DataKey>>();
  private current?: { until: number; dataKey: Promise<DataKey> };

  constructor(
    private readonly keys: KeyClient,
    private readonly store: DataKeyStore,
    private readonly options: EnvelopeProtectorOptions,
  ) {
    this.vaultUrl = new URL(keys.vaultUrl).origin;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.currentKeyCheckMs = options.currentKeyCheckMs ?? 3_600_000;
  }

  async protect(plaintext: string, context: string): Promise<string> {
    const { id, sealer } = await this.currentDataKey();
    return `${PREFIX}${id}:${await sealer.protect(plaintext, context)}`;
  }

  async unprotect(protectedValue: string, context: string): Promise<string> {
    const match = STORED.exec(protectedValue);
    if (!match) throw new SecretUnreadable('stored secret is not a Key Vault-wrapped ciphertext');
    const { sealer } = await this.dataKey(Number(match[1]));
    return sealer.unprotect(match[2], context);
  }

  async retire(): Promise<void> {
    // The ciphertext lives only in the registry row, which the caller clears; the data key serves other tenants.
  }

  private async currentDataKey(): Promise<DataKey> {
    const now = Date.now();
    if (!this.current || this.current.until <= now) {
      const dataKey = this.findOrCreateCurrent();
      this.current = { until: now + this.currentKeyCheckMs, dataKey };
      dataKey.catch(() => {
        if (this.current?.dataKey === dataKey) this.current = undefined;
      });
    }
    return this.current.dataKey;
  }

  /** The data key wrapped by the key's current version: the one in the registry, or a new one that this writer adds. */
  private async findOrCreateCurrent(): Promise<DataKey> {
    const key = await this.vault('read', (abortSignal) => this.keys.getKey(this.options.keyName, { abortSignal }));
    if (!key.id) throw new DependencyUnavailable('Key Vault returned the wrapping key without an id');
    const existing = await this.registry(() => this.store.findByWrappingKey(key.id!));
    if (existing) return this.dataKey(existing.id, existing);

    const plain = randomBytes(DATA_KEY_BYTES);
    const wrapped = await this.vault('wrap', (abortSignal) =>
      this.keys.getCryptographyClient(this.options.keyName, { keyVersion: key.properties.version }).wrapKey(WRAP_ALGORITHM, plain, { abortSignal }),
    );
    const inserted = await this.registry(() => this.store.insert({ wrappingKeyId: key.id!, algorithm: WRAP_ALGORITHM, wrappedKey: Buffer.from(wrapped.result) }));
    if (inserted) return this.remember(inserted.id, plain);
    // Another writer stored its data key for this version first: everyone uses that one.
    const winner = await this.registry(() => this.store.findByWrappingKey(key.id!));
    if (!winner) throw new DependencyUnavailable('the registry refused a data key for the wrapping key version yet holds none');
    return this.dataKey(winner.id, winner);
  }

  private remember(id: number, plain: Buffer): DataKey {
    const dataKey = sealerFor(id, plain);
    this.unwrapped.set(id, Promise.resolve(dataKey));
    return dataKey;
  }

  private dataKey(id: number, known?: WrappedDataKey): Promise<DataKey> {
    let dataKey = this.unwrapped.get(id);
    if (!dataKey) {
      dataKey = this.unwrap(id, known);
      this.unwrapped.set(id, dataKey);
      dataKey.catch(() => this.unwrapped.delete(id));
    }
    return dataKey;
  }

  private async unwrap(id: number, known?: WrappedDataKey): Promise<DataKey> {
    const stored = known ?? (await this.registry(() => this.store.find(id)));
    if (!stored) throw new SecretUnreadable(`stored secret names data key ${id}, which the registry does not hold`);
    let wrappingKey: { vaultUrl: string; name: string; version?: string };
    try {
      wrappingKey = parseKeyVaultKeyIdentifier(stored.wrappingKeyId);
    } catch {
      throw new SecretUnreadable(`data key ${id} names no valid wrapping key`);
    }
    if (new URL(wrappingKey.vaultUrl).origin !== this.vaultUrl) throw new SecretUnreadable(`data key ${id} is wrapped by a key in another vault than the configured one`);
    // The exact version that wrapped it: a rotation adds versions, and older data keys still open with theirs.
    const unwrapped = await this.vault(
      'unwrap',
      (abortSignal) =>
        this.keys
          .getCryptographyClient(wrappingKey.name, { keyVersion: wrappingKey.version })
          .unwrapKey(stored.algorithm as typeof WRAP_ALGORITHM, stored.wrappedKey, { abortSignal }),
      () => {
        throw new SecretUnreadable(`the key version that wrapped data key ${id} is not in the vault (deleted or purged)`);
      },
    );
    return sealerFor(id, Buffer.from(unwrapped.result));
  }

  private vault<T>(action: keyof typeof ACTIONS, run: (abortSignal: AbortSignal) => Promise<T>, onNotFound?: () => T): Promise<T> {
    return callVault(
      this.timeoutMs,
      run,
      (error: VaultError) => vaultFailure(error, ACTIONS[action], { vaultUrl: this.vaultUrl, timeoutMs: this.timeoutMs }),
      onNotFound,
    );
  }

  /** The registry's own failures (a pool timeout, a failover) say what was being read, never a query. */
  private async registry<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof DomainError) throw error;
      throw new DependencyUnavailable('the registry cannot be read for the data key that protects tenant secrets', { code: (error as { code?: string }).code });
    }
  }
}

/** A data key in the clear, as the local AES-GCM format under its id. */
function sealerFor(id: number, plain: Buffer): DataKey {
  return { id, sealer: new LocalAesGcmProtector(plain, String(id)) };
}
