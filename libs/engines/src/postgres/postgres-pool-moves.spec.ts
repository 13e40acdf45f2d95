import type { PoolAddress } from '@tenantry/common';
import { tenantTarget } from '@tenantry/engines/testing';
import { UnsupportedMove } from '../engine-errors';
import { PostgresEngine } from './postgres.engine';

const address = (host: string, port: number): PoolAddress => ({ engine: 'postgres', host, port, elasticPoolId: null, location: null });

describe('PostgresEngine.moveToPool', () => {
  // Nothing connects: a pg Pool opens no connection until a query.
  const engine = new PostgresEngine({ adminUrl: 'postgres://nobody@127.0.0.1:1/postgres' } as ConstructorParameters<typeof PostgresEngine>[0]);
  const target = tenantTarget('mover', 'test', address('db-1.internal', 5432));

  afterAll(() => engine.close());

  it('leaves the database where it is for a pool of the same server: a PostgreSQL pool is the registry’s share of the server', async () => {
    await expect(engine.moveToPool(target, address('DB-1.internal', 5432))).resolves.toBeUndefined();
  });

  it('refuses to move in place to another server, whose pool needs a copy', async () => {
    await expect(engine.moveToPool(target, address('db-2.internal', 5432))).rejects.toBeInstanceOf(UnsupportedMove);
    await expect(engine.moveToPool(target, address('db-1.internal', 5433))).rejects.toThrow(/a move to another server copies it/);
  });
});
