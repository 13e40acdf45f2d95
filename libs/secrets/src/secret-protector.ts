/** What opens and retires a stored format, which a format no longer written needs only. */
export interface SecretOpener {
  unprotect(protectedValue: string, context: string): Promise<string>;
  /** Makes a stored secret unusable for good (offboarding). A no-op for ciphertext kept only in the registry. */
  retire(protectedValue: string, context: string): Promise<void>;
}

/**
 * Protects a tenant's connection secret at rest. `context` (the tenant id) is bound to the
 * ciphertext, so a protected value copied onto another tenant's row does not open.
 */
export interface SecretProtector extends SecretOpener {
  protect(plaintext: string, context: string): Promise<string>;
}

export const SECRET_PROTECTOR = Symbol('SECRET_PROTECTOR');
