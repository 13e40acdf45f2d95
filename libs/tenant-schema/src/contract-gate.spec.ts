import type { QueryRunner } from 'typeorm';
import { blockedContracts } from './contract-gate';
import type { TenantMigration } from './migration-phase';

const migration = (name: string, phase: 'expand' | 'contract', dependsOn?: string) => {
  const Migration = class implements TenantMigration {
    readonly phase = phase;
    readonly dependsOn = dependsOn;
    async up(_q: QueryRunner): Promise<void> {}
    async down(): Promise<void> {}
  };
  Object.defineProperty(Migration, 'name', { value: name });
  return Migration;
};

const Base = migration('Base1', 'expand');
const AddChannel = migration('AddChannel2', 'expand');
const DropStatus = migration('DropStatus3', 'contract', 'AddChannel2');

describe('blockedContracts', () => {
  it('refuses a pending contract while some tenants lag behind its expand, naming them', () => {
    expect(
      blockedContracts(
        [Base, AddChannel, DropStatus],
        [
          { code: 'acme', version: 'AddChannel2' },
          { code: 'globex', version: 'Base1' },
          { code: 'initech', version: null },
        ],
      ),
    ).toEqual([{ contract: 'DropStatus3', dependsOn: 'AddChannel2', lagging: ['globex', 'initech'] }]);
  });

  it('lets it run once every tenant has the expand', () => {
    expect(
      blockedContracts(
        [Base, AddChannel, DropStatus],
        [
          { code: 'acme', version: 'AddChannel2' },
          { code: 'b', version: 'DropStatus3' },
        ],
      ),
    ).toEqual([]);
  });

  it('says nothing when the contract is applied everywhere already', () => {
    expect(blockedContracts([Base, AddChannel, DropStatus], [{ code: 'acme', version: 'DropStatus3' }])).toEqual([]);
  });

  it('refuses a contract that names no earlier expand migration', () => {
    const Orphan = migration('Orphan4', 'contract');
    expect(blockedContracts([Base, Orphan], [{ code: 'acme', version: 'Base1' }])[0]).toMatchObject({ contract: 'Orphan4' });
  });
});
