import { QueryFailedError, QueryRunnerAlreadyReleasedError } from 'typeorm';
import { isConnectionFailure } from './connection-failure';

const pgError = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('isConnectionFailure', () => {
  it.each([
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['every address refused (Node tries IPv4 and IPv6)', new AggregateError([Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })])],
    ['a session ended by an administrator or a restart', pgError('terminating connection due to administrator command', '57P01')],
    ['a server starting up or shutting down', pgError('the database system is starting up', '57P03')],
    ['a server out of connection slots', pgError('sorry, too many clients already', '53300')],
    ['a connection exception (class 08)', pgError('connection failure', '08006')],
    ['a connection that ended mid-query', new Error('Connection terminated unexpectedly')],
    ['no connection from the pool in time', new Error('timeout exceeded when trying to connect')],
    ['a client whose connection broke earlier', new Error('Client has encountered a connection error and is not queryable')],
    ['TypeORM wrapping an ended session', new QueryFailedError('INSERT …', [], pgError('terminating connection due to administrator command', '57P01'))],
    ['a transaction whose session ended between two queries (TypeORM released its query runner)', new QueryRunnerAlreadyReleasedError()],
    ['an error whose cause is one', new Error('saving the order failed', { cause: new Error('Connection terminated unexpectedly') })],
    ['SQL Server: the socket closed', Object.assign(new Error('Connection lost - read ECONNRESET'), { code: 'ESOCKET' })],
  ])('%s: yes', (_what, error) => {
    expect(isConnectionFailure(error)).toBe(true);
  });

  it.each([
    ['a unique violation', new QueryFailedError('INSERT …', [], pgError('duplicate key value violates unique constraint', '23505'))],
    ['a missing table', pgError('relation "orders" does not exist', '42P01')],
    ['a programming error', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['not an error at all', 'Connection terminated'],
    [
      'an error that names itself as its cause',
      (() => {
        const error = new Error('loop') as Error & { cause?: unknown };
        error.cause = error;
        return error;
      })(),
    ],
  ])('%s: no', (_what, error) => {
    expect(isConnectionFailure(error)).toBe(false);
  });
});
