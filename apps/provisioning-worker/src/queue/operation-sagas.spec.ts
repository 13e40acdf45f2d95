import { UnrecoverableError } from 'bullmq';
import { sagaForJob, type OperationSagas } from './operation-sagas';

describe('sagaForJob', () => {
  const saga = () => ({ run: async () => 'succeeded' as const });
  const sagas: OperationSagas = { provision: saga(), deprovision: saga(), rotate_credentials: saga(), suspend: saga(), resume: saga(), move: saga() };

  it.each(['constructor', 'toString', '__proto__', 'Provision', ''])('refuses %p, a name that is no operation kind, for good', (name) => {
    expect(() => sagaForJob(sagas, name)).toThrow(UnrecoverableError);
  });

  it('hands each kind its own saga', () => {
    expect(sagaForJob(sagas, 'resume')).toBe(sagas.resume);
    expect(sagaForJob(sagas, 'suspend')).toBe(sagas.suspend);
  });
});
