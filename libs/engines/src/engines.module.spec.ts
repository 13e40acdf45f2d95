import { Test } from '@nestjs/testing';
import { loadSettings, type RawEnv } from '@tenantry/common';
import { AzureSqlEngine } from './azure-sql/azure-sql.engine';
import { EngineNotConfigured } from './engine-errors';
import { EngineRegistry } from './engine-registry';
import { EnginesModule } from './engines.module';
import { enginesSettings } from './engines-options';

async function registryFor(env: RawEnv): Promise<{ engines: EngineRegistry; close: () => Promise<void> }> {
  const module = await Test.createTestingModule({ imports: [EnginesModule.forRoot(loadSettings(enginesSettings, env))] }).compile();
  return { engines: module.get(EngineRegistry), close: () => module.close() };
}

describe('EnginesModule', () => {
  it('drives PostgreSQL only when the azure-sql engine is not configured, and says how to configure it', async () => {
    const { engines, close } = await registryFor({});
    try {
      expect(engines.has('postgres')).toBe(true);
      expect(engines.has('azure-sql')).toBe(false);
      expect(() => engines.get('azure-sql')).toThrow(EngineNotConfigured);
      expect(() => engines.get('azure-sql')).toThrow('no azure-sql engine is configured in this process (see AZURE_SQL_AUTH');
    } finally {
      await close();
    }
  });

  it('adds the azure-sql engine when AZURE_SQL_AUTH is set', async () => {
    const { engines, close } = await registryFor({ AZURE_SQL_AUTH: 'entra' });
    try {
      expect(engines.get('azure-sql')).toBeInstanceOf(AzureSqlEngine);
      expect(engines.get('azure-sql').fastPath).toBeUndefined();
    } finally {
      await close();
    }
  });
});
