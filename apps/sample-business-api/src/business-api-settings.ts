import { combineSettings, defineSettings, loggingSettings, portVariable, type SettingsOf } from '@tenantry/common';
import { tenancySettings } from '@tenantry/tenancy';

/**
 * Everything this business service reads: its port, its logs, and what TenancyModule needs (the
 * registry, Redis, the secrets key to open tenant credentials, the token settings). Nothing of the
 * control plane's own: no queue, engine or worker setting.
 */
export const businessApiSettings = combineSettings({
  logging: loggingSettings,
  tenancy: tenancySettings,
  http: defineSettings({ variables: { BUSINESS_API_PORT: portVariable(3001) }, build: (e) => ({ port: e.BUSINESS_API_PORT }) }),
});

export type BusinessApiSettings = SettingsOf<typeof businessApiSettings>;
