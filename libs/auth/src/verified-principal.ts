/** Who a verified token says the caller is. Built only by TokenVerifier, so every field was signed. */
export interface VerifiedPrincipal {
  subject: string;
  username: string;
  realmRoles: string[];
  clientRoles: Record<string, string[]>;
  tenantId?: string;
  azp?: string;
  claims: Record<string, unknown>;
}

/** The CLS key under which the current request's principal is kept. */
export const PRINCIPAL_KEY = 'principal';
