import { Logger, type ValueProvider } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { queueConnectionOptions, TENANT_OPERATIONS_QUEUE, type TenantOperationJob } from '@tenantry/common';
import { createTestEnv, type TestEnv } from '@tenantry/common/testing';
import { OPERATION_QUEUE_OPTIONS, operationQueueSettings } from '@tenantry/registry';
import { Queue, QueueEvents } from 'bullmq';
import { ClsModule } from 'nestjs-cls';
import { BackupSaga } from '../backups/backup.saga';
import { RestoreSwapSaga } from '../backups/restore-swap.saga';
import { RestoreSaga } from '../backups/restore.saga';
import { UndeleteSaga } from '../backups/undelete.saga';
import { CredentialRotationSaga } from '../saga/credential-rotation.saga';
import { DeprovisioningSaga } from '../saga/deprovisioning.saga';
import { MoveSaga } from '../saga/move.saga';
import { ProvisioningSaga } from '../saga/provisioning.saga';
import { ResumptionSaga } from '../saga/resumption.saga';
import { SuspensionSaga } from '../saga/suspension.saga';
import { WORKER_OPTIONS, workerSettings } from '../worker-settings';
import { OperationWorker } from './operation-worker';

const SAGAS = [
  ProvisioningSaga,
  DeprovisioningSaga,
  CredentialRotationSaga,
  SuspensionSaga,
  ResumptionSaga,
  BackupSaga,
  RestoreSaga,
  RestoreSwapSaga,
  UndeleteSaga,
  MoveSaga,
];

describe('OperationWorker dispatch (real Redis and BullMQ)', () => {
  let env: TestEnv;
  const ran: string[] = [];

  /** The worker with sagas that only note that they ran; `override` replaces some of them. */
  async function startWorker(override: ValueProvider[] = []) {
    const sagas = SAGAS.map((saga): ValueProvider => ({
      provide: saga,
      useValue: {
        run: async (operationId: string) => {
          ran.push(`${saga.name}:${operationId}`);
          return 'succeeded';
        },
      },
    }));
    const module = await Test.createTestingModule({
      imports: [ClsModule.forRoot({ global: true })],
      providers: [
        ...sagas,
        ...override,
        { provide: OPERATION_QUEUE_OPTIONS, useValue: env.settings(operationQueueSettings) },
        { provide: WORKER_OPTIONS, useValue: env.settings(workerSettings).worker },
        OperationWorker,
      ],
    }).compile();
    return module.createNestApplication().init();
  }

  beforeAll(() => {
    // The worker logs each failed job; these failures are on purpose.
    Logger.overrideLogger(false);
    env = createTestEnv({ OPERATION_MAX_ATTEMPTS: '5' });
  });

  afterAll(async () => {
    await env?.cleanup();
  });

  it('fails a job whose name is no operation kind at its first attempt, saying why, and runs no saga', async () => {
    const { redisUrl, prefix } = env.settings(operationQueueSettings);
    const connection = queueConnectionOptions(redisUrl);
    const queue = new Queue<TenantOperationJob>(TENANT_OPERATIONS_QUEUE, { connection, prefix });
    const events = new QueueEvents(TENANT_OPERATIONS_QUEUE, { connection, prefix });
    const app = await startWorker();
    try {
      await events.waitUntilReady();
      // As the admin API enqueues, with BullMQ's attempts and backoff: a plain failure would be tried five times.
      const job = await queue.add('reindex', { operationId: 'op-1', tenantId: 't-1' }, { attempts: 5, backoff: { type: 'exponential', delay: 1000 } });
      await expect(job.waitUntilFinished(events)).rejects.toThrow(
        'unknown operation kind "reindex": this worker runs provision, deprovision, rotate_credentials, suspend, resume, move, backup, restore, swap_restore, undelete',
      );
      const failed = await queue.getJob(job.id as string);
      expect(await failed?.getState()).toBe('failed');
      expect(failed?.attemptsMade).toBe(1);
      expect(ran).toEqual([]);

      const known = await queue.add('suspend', { operationId: 'op-2', tenantId: 't-2' });
      await expect(known.waitUntilFinished(events)).resolves.toBe('succeeded');
      expect(ran).toEqual(['SuspensionSaga:op-2']);
    } finally {
      await app.close();
      await events.close();
      await queue.close();
    }
  });

  it('does not start when an operation kind has no saga, and names it', async () => {
    const outcome = await startWorker([{ provide: ResumptionSaga, useValue: {} }]).then(
      async (app) => {
        await app.close();
        return 'started';
      },
      (error: Error) => error.message,
    );
    expect(outcome).toBe('no saga runs operation kind "resume": the worker cannot start');
  });
});
