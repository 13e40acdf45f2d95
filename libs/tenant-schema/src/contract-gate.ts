import type { TenantMigration } from './migration-phase';

export interface ContractBlock {
  contract: string;
  dependsOn: string;
  lagging: string[];
}

/**
 * The contract migrations that may not run yet: one is pending for some tenant while other
 * tenants (named) have not applied the expand migration it depends on. Versions come from the
 * registry (the newest migration each tenant has applied, null for none).
 */
export function blockedContracts(migrations: Array<new () => TenantMigration>, fleet: Array<{ code: string; version: string | null }>): ContractBlock[] {
  const order = migrations.map((migration) => migration.name);
  const applied = (version: string | null) => (version === null ? -1 : order.indexOf(version));
  const blocks: ContractBlock[] = [];
  migrations.forEach((Migration, index) => {
    const migration = new Migration();
    if (migration.phase !== 'contract') return;
    if (!migration.dependsOn || !order.includes(migration.dependsOn) || order.indexOf(migration.dependsOn) >= index) {
      blocks.push({
        contract: Migration.name,
        dependsOn: migration.dependsOn ?? '(none declared)',
        lagging: ['every tenant: dependsOn must name an earlier expand migration'],
      });
      return;
    }
    if (!fleet.some((tenant) => applied(tenant.version) < index)) return;
    const needed = order.indexOf(migration.dependsOn);
    const lagging = fleet.filter((tenant) => applied(tenant.version) < needed).map((tenant) => tenant.code);
    if (lagging.length > 0) blocks.push({ contract: Migration.name, dependsOn: migration.dependsOn, lagging });
  });
  return blocks;
}
