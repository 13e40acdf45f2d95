import { isEnvelopeValue } from './envelope.protector';
import { isKeyVaultReference } from './key-vault-reference';
import type { SecretOpener, SecretProtector } from './secret-protector';
import { SecretUnreadable } from './secret-unreadable.error';

/** The stored formats: local AES-GCM (`v1.`), a per-tenant Key Vault secret (`kv:`, no longer written), AES-GCM under a Key Vault-wrapped data key (`kw:`). */
export type SecretFormat = 'local' | 'key-vault-secret' | 'key-vault-envelope';
type WrittenFormat = Exclude<SecretFormat, 'key-vault-secret'>;

export interface SecretFormatHandlers {
  local?: SecretProtector;
  'key-vault-secret'?: SecretOpener;
  'key-vault-envelope'?: SecretProtector;
}

const WHAT: Record<SecretFormat, string> = {
  local: 'a local AES-GCM ciphertext, and this process has no SECRETS_KEY',
  'key-vault-secret': 'a Key Vault reference, and this process has no KEY_VAULT_URL',
  'key-vault-envelope': 'a Key Vault-wrapped ciphertext, and this process has no KEY_VAULT_URL',
};

/**
 * Writes with the configured provider and opens each stored value with the provider that wrote it,
 * so rows written before a switch of SECRETS_PROVIDER keep working while new rows use the new one.
 */
export class ProviderSwitchProtector implements SecretProtector {
  private readonly writer: SecretProtector;

  constructor(
    writer: WrittenFormat,
    private readonly readers: SecretFormatHandlers,
  ) {
    const protector = readers[writer];
    if (!protector) throw new Error(`the ${writer} secret protector is not configured`);
    this.writer = protector;
  }

  async protect(plaintext: string, context: string): Promise<string> {
    return this.writer.protect(plaintext, context);
  }

  async unprotect(protectedValue: string, context: string): Promise<string> {
    return this.readerFor(formatOf(protectedValue)).unprotect(protectedValue, context);
  }

  async retire(protectedValue: string, context: string): Promise<void> {
    const format = formatOf(protectedValue);
    // Ciphertext kept only in the registry row, which the caller clears: no key is needed to retire it.
    if (format !== 'key-vault-secret' && !this.readers[format]) return;
    await this.readerFor(format).retire(protectedValue, context);
  }

  private readerFor(format: SecretFormat): SecretOpener {
    const reader = this.readers[format];
    if (!reader) throw new SecretUnreadable(`stored secret is ${WHAT[format]} to open it`);
    return reader;
  }
}

function formatOf(protectedValue: string): SecretFormat {
  if (isKeyVaultReference(protectedValue)) return 'key-vault-secret';
  return isEnvelopeValue(protectedValue) ? 'key-vault-envelope' : 'local';
}
