import type { SecretClient } from '@azure/keyvault-secrets';
import type { DomainError } from '@tenantry/common';
import { callVault, innerCodeOf, vaultFailure, type VaultAction, type VaultError } from './key-vault-call';
import { parseKeyVaultReference } from './key-vault-reference';
import type { SecretOpener } from './secret-protector';
import { SecretUnreadable } from './secret-unreadable.error';

export const KEY_VAULT_TENANT_TAG = 'tenant_id';

type SecretAction = 'read' | 'delete';
// Readers (business services) need only Secrets User; the worker, which deletes at offboarding, needs Secrets Officer.
const ACTIONS: Record<SecretAction, VaultAction> = {
  read: { what: 'read the secret', role: 'Key Vault Secrets User' },
  delete: { what: 'delete the secret', role: 'Key Vault Secrets Officer' },
};

export interface KeyVaultProtectorOptions {
  /** Longest one unprotect or retire may take, the SDK's own retries and polls included. */
  timeoutMs?: number;
  /** Pause between polls of a delete. */
  pollIntervalMs?: number;
}

/**
 * Opens and retires tenant secrets kept one per tenant in Azure Key Vault (`tenant-<id>`, tagged
 * with the id; the registry row holds `kv:<vault>/secrets/<name>/<version>`): the format
 * SECRETS_PROVIDER=key-vault wrote before envelope encryption. A vault read per pool open does not
 * scale to a fleet (README, "Secrets in Key Vault"), so nothing writes this format any more; rows
 * that hold it keep working until their credentials are rotated. Messages and errors carry names
 * and status codes only: the SDK's error objects hold the request, body included, so they are
 * never passed on.
 */
export class KeyVaultProtector implements SecretOpener {
  private readonly vaultUrl: string;
  private readonly timeoutMs: number;
  private readonly pollIntervalMs: number;

  constructor(
    private readonly client: SecretClient,
    options: KeyVaultProtectorOptions = {},
  ) {
    this.vaultUrl = new URL(client.vaultUrl).origin;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.pollIntervalMs = options.pollIntervalMs ?? 2_000;
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

  private async call<T>(action: SecretAction, run: (abortSignal: AbortSignal) => Promise<T>, onNotFound?: () => T): Promise<T> {
    return callVault(this.timeoutMs, run, (error) => this.failure(action, error), onNotFound);
  }

  private failure(action: SecretAction, error: VaultError): DomainError {
    // An operator disables a version on purpose (a leaked password): that is this secret's state, not the vault's.
    if (innerCodeOf(error) === 'SecretDisabled') return new SecretUnreadable('the secret version the registry names is disabled in the vault');
    return vaultFailure(error, ACTIONS[action], { vaultUrl: this.vaultUrl, timeoutMs: this.timeoutMs });
  }
}
