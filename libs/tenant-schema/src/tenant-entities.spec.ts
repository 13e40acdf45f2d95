import { DataSource } from 'typeorm';
import { Order } from './entities/order.entity';
import { TENANT_ENTITIES } from './tenant-schema';

/** Entity metadata as a DataSource of that driver builds and validates it on initialize(), without a server. */
async function metadataOn(options: { type: 'postgres' } | { type: 'mssql'; host: string }): Promise<DataSource> {
  const dataSource = new DataSource({ ...options, entities: TENANT_ENTITIES });
  // initialize() would connect first; buildMetadatas() is the part that checks every column type against the driver.
  await (dataSource as unknown as { buildMetadatas(): Promise<void> }).buildMetadatas();
  return dataSource;
}

describe('tenant entities', () => {
  it('map on PostgreSQL with types it supports', async () => {
    const dataSource = await metadataOn({ type: 'postgres' });
    const types = dataSource.getMetadata(Order).columns.map((column) => [column.databaseName, dataSource.driver.normalizeType(column)]);
    expect(types).toEqual(
      expect.arrayContaining([
        ['id', 'uuid'],
        ['status', 'character varying'],
        ['total_cents', 'bigint'],
      ]),
    );
  });

  it('map on SQL Server: Unicode strings, uniqueidentifier, bigint, and the identity number never inserted', async () => {
    const dataSource = await metadataOn({ type: 'mssql', host: 'no-server.invalid' });
    const [insert, insertParameters] = dataSource.createQueryBuilder().insert().into(Order).values({ totalCents: '1500' }).getQueryAndParameters();
    // The database assigns id (NEWID()), status, created_at (defaults) and number (IDENTITY).
    expect(insert).toBe(`INSERT INTO "orders"("id", "customer_id", "status", "total_cents", "created_at") VALUES (DEFAULT, DEFAULT, DEFAULT, @0, DEFAULT)`);
    expect(insertParameters).toEqual([expect.objectContaining({ value: '1500', type: 'bigint' })]);

    const [, whereParameters] = dataSource
      .getRepository(Order)
      .createQueryBuilder('o')
      .setFindOptions({ where: { status: 'open', customerId: '0b9f2c4e-6a57-4c1a-9a43-5a0e8f3f1d2b' } })
      .getQueryAndParameters();
    // nvarchar, not the legacy text/ntext that 'text' would send and that cannot be compared with =.
    expect(whereParameters).toEqual([expect.objectContaining({ value: 'open', type: 'nvarchar' }), expect.objectContaining({ type: 'uniqueidentifier' })]);
  });
});
