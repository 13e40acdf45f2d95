/** The CLS key under which the current tenant's id is kept; the logger reads it to tag every line. */
export const TENANT_ID_KEY = 'tenantId';
