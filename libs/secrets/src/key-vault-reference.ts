import { parseKeyVaultSecretIdentifier } from '@azure/keyvault-secrets';
import { SecretUnreadable } from './secret-unreadable.error';

// What the registry stores for a secret kept in Key Vault: this prefix, then the secret version's id URL.
const PREFIX = 'kv:';
const SECRET_NAME_PREFIX = 'tenant-';
// Key Vault names are 1-127 of [0-9a-zA-Z-], the prefix takes 7; they are case-insensitive, so only
// lowercase ids (as PostgreSQL prints a uuid) keep two tenants from sharing one secret.
const TENANT_ID = /^[0-9a-z-]{1,120}$/;

export interface KeyVaultReference {
  name: string;
  version: string;
}

export function isKeyVaultReference(stored: string): boolean {
  return stored.startsWith(PREFIX);
}

/** One secret per tenant; each credential written added a version to it. */
export function secretNameFor(tenantId: string): string {
  if (!TENANT_ID.test(tenantId)) throw new Error('a tenant id must be 1-120 lowercase letters, digits or hyphens to name a Key Vault secret');
  return `${SECRET_NAME_PREFIX}${tenantId}`;
}

/**
 * The reference, if it names an exact version of this tenant's secret in `vaultUrl`: a reference
 * copied onto another tenant's row, or pointing at another vault, does not open.
 */
export function parseKeyVaultReference(stored: string, vaultUrl: string, tenantId: string): KeyVaultReference {
  if (!isKeyVaultReference(stored)) throw new SecretUnreadable('stored secret is not a Key Vault reference');
  let parsed: { vaultUrl: string; name: string; version?: string };
  try {
    parsed = parseKeyVaultSecretIdentifier(stored.slice(PREFIX.length));
  } catch {
    throw new SecretUnreadable('stored Key Vault reference is malformed');
  }
  const vault = new URL(parsed.vaultUrl);
  if (vault.origin !== vaultUrl) throw new SecretUnreadable(`stored secret is in another vault (${vault.host}) than the configured one`);
  if (parsed.name !== secretNameFor(tenantId)) throw new SecretUnreadable('stored secret belongs to another tenant');
  if (!parsed.version) throw new SecretUnreadable('stored Key Vault reference names no version');
  return { name: parsed.name, version: parsed.version };
}
