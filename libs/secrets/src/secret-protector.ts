/**
 * Protects a tenant's connection secret at rest. `context` (the tenant id) is bound to the
 * ciphertext, so a protected value copied onto another tenant's row does not open.
 */
export interface SecretProtector {
  protect(plaintext: string, context: string): Promise<string>;
  unprotect(protectedValue: string, context: string): Promise<string>;
  /** Makes a stored secret unusable for good (offboarding). A no-op for ciphertext kept only in the registry. */
  retire(protectedValue: string, context: string): Promise<void>;
}

export const SECRET_PROTECTOR = Symbol('SECRET_PROTECTOR');
