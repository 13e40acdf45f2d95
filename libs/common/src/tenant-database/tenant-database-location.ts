/** The database engines Tenantry drives: a pool names one, and so does each tenant database placed on it. */
export const ENGINE_KINDS = ['postgres', 'azure-sql'] as const;
export type EngineKind = (typeof ENGINE_KINDS)[number];
