import type { SecretClient } from '@azure/keyvault-secrets';
import { DependencyUnavailable, type DomainError } from '@tenantry/common';
import { DelegateBackoff, handleWhen, retry, timeout, TimeoutStrategy, wrap, type IPolicy, type IRetryBackoffContext, type IRetryContext } from 'cockatiel';
import { callVault, innerCodeOf, vaultFailure, type VaultAction, type VaultError } from './key-vault-call';
import { formatKeyVaultReference, parseKeyVaultReference, secretNameFor } from './key-vault-reference';
import type { SecretProtector } from './secret-protector';
import { SecretUnreadable } from './secret-unreadable.error';

export const KEY_VAULT_CONTENT_TYPE = 'application/vnd.tenantry.database-password';
export const KEY_VAULT_TENANT_TAG = 'tenant_id';

// A name soft-deleted by an earlier offboarding or a retried step: recover it, then add a version.
const DELETED_BUT_RECOVERABLE = 'ObjectIsDeletedButRecoverable';
// Key Vault finishes deletes and recoveries in the background and refuses a write until then.
const STILL_BUSY = new Set(['ObjectIsBeingDeleted', 'ObjectIsBeingRecovered']);
const MAX_SET_ATTEMPTS = 10;

type SecretAction = 'store' | 'read' | 'delete';
// Readers (business services) need only Secrets User; the worker, which writes and deletes, needs Secrets Officer.
const ACTIONS: Record<SecretAction, VaultAction> = {
  store: { what: 'store the secret', role: 'Key Vault Secrets Officer' },
  read: { what: 'read the secret', role: 'Key Vault Secrets User' },
  delete: { what: 'delete the secret', role: 'Key Vault Secrets Officer' },
};

export interface KeyVaultProtectorOptions {
  /** Longest one protect, unprotect or retire may take, the SDK's own retries and polls included. */
  timeoutMs?: number;
  /** Pause between polls of a delete or a recovery, and before writing again to a name still busy. */
  pollIntervalMs?: number;
}

/**
 * Keeps each tenant's secret in Azure Key Vault, one secret per tenant (`tenant-<id>`, tagged with
 * the id); the registry stores only `kv:<vault>/secrets/<name>/<version>`. The format
 * SECRETS_PROVIDER=key-vault wrote before EnvelopeProtector: a read per pool open does not scale
 * to a fleet (README, "Secrets in Key Vault"), so createSecretProtector uses this one to open and
 * retire existing rows only. Messages and errors carry names and status codes only: the SDK's error
 * objects hold the request, body included, so they are never passed on.
 */
export class KeyVaultProtector implements SecretProtector {
  private readonly vaultUrl: string;
  private readonly timeoutMs: number;
  private readonly pollIntervalMs: number;
  private readonly untilNameFree: IPolicy<IRetryContext>;

  constructor(
    private readonly client: SecretClient,
    options: KeyVaultProtectorOptions = {},
  ) {
    this.vaultUrl = new URL(client.vaultUrl).origin;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.pollIntervalMs = options.pollIntervalMs ?? 2_000;
    // cockatiel's retry sleeps out its backoff even once the operation's time is up: the timeout ends
    // the operation then, and holds the process while it runs; the abandoned wait holds nothing.
    this.untilNameFree = wrap(
      timeout(this.timeoutMs, TimeoutStrategy.Aggressive),
      retry(
        handleWhen((error) => nameBusy(error as VaultError)),
        {
          maxAttempts: MAX_SET_ATTEMPTS - 1,
          // A name just recovered is written again at once; one still being deleted or recovered is polled.
          backoff: new DelegateBackoff((context: IRetryBackoffContext<unknown>) =>
            'error' in context.result && conflictOf(context.result.error as VaultError) === DELETED_BUT_RECOVERABLE ? 0 : this.pollIntervalMs,
          ),
        },
      ).dangerouslyUnref(),
    );
  }

  async protect(plaintext: string, context: string): Promise<string> {
    const name = secretNameFor(context);
    const secret = await this.call('store', (abortSignal) => this.setSecret(name, plaintext, context, abortSignal));
    if (!secret.properties.id) throw new DependencyUnavailable('Key Vault stored the secret but returned no id');
    return formatKeyVaultReference(secret.properties.id);
  }

  async unprotect(protectedValue: string, context: string): Promise<string> {
    const { name, version } = parseKeyVaultReference(protectedValue, this.vaultUrl, context);
    const secret = await this.call(
      'read',
      (abortSignal) => this.client.getSecret(name, { version, abortSignal }),
      () => {
        throw new SecretUnreadable('the secret version the registry names is not in the vault (deleted or purged)');
      },
    );
    if (secret.properties.tags?.[KEY_VAULT_TENANT_TAG] !== context) throw new SecretUnreadable('the secret in the vault is not tagged for this tenant');
    if (secret.value === undefined) throw new SecretUnreadable('the secret in the vault has no value');
    return secret.value;
  }

  /** Soft delete: the secret stays recoverable for the vault's retention days. A name already deleted is done. */
  async retire(protectedValue: string, context: string): Promise<void> {
    const { name } = parseKeyVaultReference(protectedValue, this.vaultUrl, context);
    await this.call(
      'delete',
      async (abortSignal) => {
        const poller = await this.client.beginDeleteSecret(name, { abortSignal, intervalInMs: this.pollIntervalMs });
        await poller.pollUntilDone({ abortSignal });
      },
      () => undefined,
    );
  }

  private async setSecret(name: string, value: string, tenantId: string, abortSignal: AbortSignal) {
    const attempt = async () => {
      try {
        return await this.client.setSecret(name, value, { contentType: KEY_VAULT_CONTENT_TYPE, tags: { [KEY_VAULT_TENANT_TAG]: tenantId }, abortSignal });
      } catch (error) {
        if (conflictOf(error as VaultError) === DELETED_BUT_RECOVERABLE) await this.recover(name, abortSignal);
        throw error;
      }
    };
    try {
      return await this.untilNameFree.execute(attempt, abortSignal);
    } catch (error) {
      if (nameBusy(error as VaultError)) {
        throw new DependencyUnavailable(`Key Vault kept the secret name busy (being deleted or recovered) through ${MAX_SET_ATTEMPTS} attempts`);
      }
      throw error;
    }
  }

  private async recover(name: string, abortSignal: AbortSignal): Promise<void> {
    const poller = await this.client.beginRecoverDeletedSecret(name, { abortSignal, intervalInMs: this.pollIntervalMs });
    await poller.pollUntilDone({ abortSignal });
  }

  private async call<T>(action: SecretAction, run: (abortSignal: AbortSignal) => Promise<T>, onNotFound?: () => T): Promise<T> {
    return callVault(this.timeoutMs, run, (error) => this.failure(action, error), onNotFound);
  }

  private failure(action: SecretAction, error: VaultError): DomainError {
    // An operator disables a version on purpose (a leaked password): that is this secret's state, not the vault's.
    if (innerCodeOf(error) === 'SecretDisabled') return new SecretUnreadable('the secret version the registry names is disabled in the vault');
    return vaultFailure(error, ACTIONS[action], { vaultUrl: this.vaultUrl, timeoutMs: this.timeoutMs });
  }
}

function conflictOf(error: VaultError): string | undefined {
  return error.statusCode === 409 ? innerCodeOf(error) : undefined;
}

/** The name is still Key Vault's to settle: soft-deleted (recover it), or a delete or recovery under way (wait). */
function nameBusy(error: VaultError): boolean {
  const conflict = conflictOf(error);
  return conflict === DELETED_BUT_RECOVERABLE || (conflict !== undefined && STILL_BUSY.has(conflict));
}
