import { isOperationKind, OPERATION_KINDS, type OperationKind } from '@tenantry/common';
import { UnrecoverableError } from 'bullmq';
import type { SagaOutcome } from '../saga/saga-runner';

export interface OperationSaga {
  run(operationId: string, maxAttempts: number): Promise<SagaOutcome>;
}

/** The saga of each operation kind: a kind added to OPERATION_KINDS does not compile until it has one here. */
export type OperationSagas = Record<OperationKind, OperationSaga>;

/** Start-up check, for what the compiler cannot see (a provider wired to something else): names each kind left without a saga. */
export function assertEveryKindHasSaga(sagas: OperationSagas): void {
  const missing = OPERATION_KINDS.filter((kind) => typeof sagas[kind]?.run !== 'function');
  if (missing.length > 0) throw new Error(`no saga runs operation kind ${missing.map((kind) => `"${kind}"`).join(', ')}: the worker cannot start`);
}

/**
 * The saga a job runs. A name this version does not know (a newer version's job, a hand-made one)
 * fails the job for good, saying why, rather than being retried or running some other saga.
 */
export function sagaForJob(sagas: OperationSagas, jobName: string): OperationSaga {
  if (!isOperationKind(jobName)) {
    throw new UnrecoverableError(`unknown operation kind "${jobName}": this worker runs ${OPERATION_KINDS.join(', ')}`);
  }
  return sagas[jobName];
}
