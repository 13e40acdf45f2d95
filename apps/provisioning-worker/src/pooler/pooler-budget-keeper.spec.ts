import type { EngineRegistry, TenantDatabaseEngine } from '@tenantry/engines';
import type { DatabaseServerEntity, RegistryUnitOfWork } from '@tenantry/registry';
import type { WorkerOptions } from '../worker-settings';
import { PoolerBudgetKeeper } from './pooler-budget-keeper';

const server = (name: string, port: number) => ({ name, engine: 'postgres', host: '127.0.0.1', port }) as DatabaseServerEntity;

describe('PoolerBudgetKeeper: every PostgreSQL server, one look at a time', () => {
  const held = new Map<number, jest.Mock>();
  const engineAt = (port: number) => {
    const hold = held.get(port) ?? jest.fn(async () => [] as string[]);
    held.set(port, hold);
    return { holdPoolerBudget: hold } as unknown as TenantDatabaseEngine;
  };
  const registry = { repositories: { servers: { byEngine: jest.fn(async () => [server('a', 1), server('b', 2), server('c', 3)]) } } } as unknown as RegistryUnitOfWork;
  const engines = { on: jest.fn(async ({ port }: { port: number }) => engineAt(port)) } as unknown as EngineRegistry;
  const options = { poolerBudget: { serverConnections: 1000, intervalMs: 500 } } as WorkerOptions;

  it("holds each server's pooler to the budget, and a server that fails does not stop the others", async () => {
    held.set(
      1,
      jest.fn(async () => ['tenant_x', 'tenant_y']),
    );
    held.set(
      2,
      jest.fn(async () => Promise.reject(new Error('console refused'))),
    );
    held.set(
      3,
      jest.fn(async () => ['tenant_z']),
    );
    const keeper = new PoolerBudgetKeeper(registry, engines, options);
    expect(await keeper.keepOnce()).toBe(3);
    for (const port of [1, 2, 3]) expect(held.get(port)).toHaveBeenCalledWith(1000);
  });

  it('runs one look at a time: a call while one runs shares it', async () => {
    let release!: () => void;
    held.set(
      1,
      jest.fn(() => new Promise<string[]>((resolve) => (release = () => resolve(['tenant_x'])))),
    );
    held.set(
      2,
      jest.fn(async () => []),
    );
    held.set(
      3,
      jest.fn(async () => []),
    );
    const keeper = new PoolerBudgetKeeper(registry, engines, options);
    const first = keeper.keepOnce();
    const second = keeper.keepOnce();
    expect(second).toBe(first);
    await new Promise((resolve) => setImmediate(resolve));
    release();
    expect(await first).toBe(1);
    expect(held.get(1)).toHaveBeenCalledTimes(1);
  });
});
