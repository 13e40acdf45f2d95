import { Test } from '@nestjs/testing';
import { loadSettings, type EngineKind, type RawEnv } from '@tenantry/common';
import { AzureSqlEngine } from './azure-sql/azure-sql.engine';
import { EngineNotConfigured } from './engine-errors';
import { EngineRegistry } from './engine-registry';
import { enginesSettings } from './engines-options';
import { configuredEngineKinds, EnginesModule } from './engines.module';

/** The engines the module builds for `env`, and those the admin API, which builds none, admits tenants to. */
async function registryFor(env: RawEnv): Promise<{ engines: EngineRegistry; admitted: EngineKind[]; close: () => Promise<void> }> {
  const options = loadSettings(enginesSettings, env);
  const module = await Test.createTestingModule({ imports: [EnginesModule.forRoot(options)] }).compile();
  return { engines: module.get(EngineRegistry), admitted: configuredEngineKinds(options), close: () => module.close() };
}

describe('EnginesModule', () => {
  it('drives PostgreSQL only when the azure-sql engine is not configured, and says how to configure it', async () => {
    const { engines, admitted, close } = await registryFor({});
    try {
      expect(engines.kinds()).toEqual(['postgres']);
      expect(admitted).toEqual(engines.kinds());
      expect(() => engines.get('azure-sql')).toThrow(EngineNotConfigured);
      expect(() => engines.get('azure-sql')).toThrow('no azure-sql engine is configured in this process (see AZURE_SQL_AUTH');
    } finally {
      await close();
    }
  });

  it('adds the azure-sql engine when AZURE_SQL_AUTH is set', async () => {
    const { engines, admitted, close } = await registryFor({ AZURE_SQL_AUTH: 'entra' });
    try {
      expect(engines.kinds()).toEqual(['postgres', 'azure-sql']);
      expect(admitted).toEqual(engines.kinds());
      expect(engines.get('azure-sql')).toBeInstanceOf(AzureSqlEngine);
      expect(engines.get('azure-sql').fastPath).toBeUndefined();
    } finally {
      await close();
    }
  });
});
