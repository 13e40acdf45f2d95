import type { SchemaOutcome, TenantDatabaseEngine, TenantDatabaseTarget } from '../src/tenant-database-engine';

/** The engine steps of the provisioning saga, in its order: database, login, schema, password. */
export async function provisionTenant(engine: TenantDatabaseEngine, target: TenantDatabaseTarget, password: string): Promise<SchemaOutcome> {
  await engine.createDatabase(target);
  await engine.ensureLogin(target);
  const outcome = await engine.applySchema(target);
  await engine.setLoginPassword(target, password);
  return outcome;
}
