import { LockLost } from '@tenantry/registry';
import { useSagaRunner } from '../../test/saga-runner.fixture';
import { OperationFailed } from './saga-runner';
import { PermanentStepFailure } from './saga-step';

describe('SagaRunner (real admin database)', () => {
  const db = useSagaRunner();

  const options = { maxAttempts: 5, onFailed: async () => undefined };

  async function newOperation(code: string) {
    const tenant = await db.registry.repositories.tenants.insert({ code, name: code, plan: 'standard', region: 'local' });
    return db.registry.repositories.operations.insert({ tenantId: tenant.id, kind: 'provision', requestedBy: 'test' });
  }

  it('stops when the connection holding the tenant lock ends mid-saga: the step in hand is not checkpointed, the next never runs', async () => {
    const operation = await newOperation('lost_lock');
    const next = jest.fn(async () => undefined);
    const failover = async () => {
      // The session holding the tenant lock ends, as in a failover; the lock is free for another worker from then on.
      await db.env.sql(
        `SELECT pg_terminate_backend(pid, 5000) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = $1)`,
        [db.env.adminDatabase],
      );
      await db.env.sql('SELECT 1');
    };
    await expect(
      db.runner.run(
        operation.id,
        [
          { name: 'first', run: failover },
          { name: 'second', run: next },
        ],
        options,
      ),
    ).rejects.toBeInstanceOf(LockLost);
    expect(next).not.toHaveBeenCalled();
    const row = await db.registry.repositories.operations.findById(operation.id);
    expect(row).toMatchObject({ status: 'running', attempts: 1, completedSteps: [], lastError: null });
  });

  it('an operation that succeeds on a later attempt no longer shows the error of the earlier one', async () => {
    const operation = await newOperation('flaky');
    const flaky = jest.fn().mockRejectedValueOnce(new Error('connection reset')).mockResolvedValue(undefined);
    await expect(db.runner.run(operation.id, [{ name: 'flaky', run: flaky }], options)).rejects.toThrow('connection reset');
    expect(await db.registry.repositories.operations.findById(operation.id)).toMatchObject({ status: 'running', step: 'flaky', lastError: 'connection reset' });
    expect(await db.runner.run(operation.id, [{ name: 'flaky', run: flaky }], options)).toBe('succeeded');
    expect(await db.registry.repositories.operations.findById(operation.id)).toMatchObject({ status: 'succeeded', step: null, lastError: null, attempts: 2 });
  });

  it('a permanent failure ends the operation failed, its step and reason kept, and says so with OperationFailed', async () => {
    const operation = await newOperation('doomed');
    const doomed = async () => {
      throw new PermanentStepFailure('pool is gone');
    };
    await expect(db.runner.run(operation.id, [{ name: 'place', run: doomed }], options)).rejects.toThrow(
      new OperationFailed(`operation ${operation.id} failed at place: pool is gone`),
    );
    expect(await db.registry.repositories.operations.findById(operation.id)).toMatchObject({ status: 'failed', step: 'place', lastError: 'pool is gone' });
    expect(await db.runner.run(operation.id, [{ name: 'place', run: doomed }], options)).toBe('already-finished');
  });
});
