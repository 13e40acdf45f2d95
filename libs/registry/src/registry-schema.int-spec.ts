import { useTestRegistry } from '@tenantry/registry/testing';

// Check constraints, foreign keys and partial indexes are written in the migrations only, so TypeORM,
// which does not see them on the entities, would drop them: that is the only difference allowed.
const DECLARED_IN_MIGRATIONS_ONLY = /^(ALTER TABLE "\w+" DROP CONSTRAINT "\w+"|DROP INDEX "public"\."\w+")$/;

describe('registry entities and migrations', () => {
  const db = useTestRegistry();

  it('describe one schema: on a migrated admin database TypeORM would add, drop or change no table or column (an empty migration:generate)', async () => {
    const pending = (await db.dataSource.driver.createSchemaBuilder().log()).upQueries.map(({ query }) => query);
    expect(pending.filter((query) => !DECLARED_IN_MIGRATIONS_ONLY.test(query))).toEqual([]);
  });
});
