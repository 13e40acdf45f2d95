// The server could not be reached, or ended the connection: the same request can succeed once it is back.
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
// PostgreSQL: admin_shutdown (a restart, pg_terminate_backend), crash_shutdown, cannot_connect_now (starting or
// stopping), too_many_connections; class 08 is connection_exception. SQL Server (mssql): socket, timeout, closed.
const SERVER_CODES = new Set(['57P01', '57P02', '57P03', '53300', 'ESOCKET', 'ETIMEOUT', 'ECONNCLOSED']);
// What pg and pg-pool say when a connection ends or cannot be had, without a code.
const DRIVER_MESSAGES = ['Connection terminated', 'timeout exceeded when trying to connect', 'Client has encountered a connection error and is not queryable'];
// TypeORM releases a query runner when its pg client reports an error (the session was ended, e.g. by a
// switchover's freeze or a restart), so the next query of that transaction finds it released: the same
// session loss, seen one query later.
const SESSION_LOST_ERRORS = new Set(['QueryRunnerAlreadyReleasedError']);

interface Wrapped {
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  driverError?: unknown;
  originalError?: unknown;
  errors?: unknown;
}

/**
 * Whether `error` says a database server is unreachable or went away, rather than that the request
 * was wrong: the drivers' and TypeORM's wrappers are looked through (cause, driverError, ...).
 */
export function isConnectionFailure(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 4) return false;
  const { code, message, cause, driverError, originalError, errors } = error as Wrapped;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || SERVER_CODES.has(code) || code.startsWith('08'))) return true;
  if (typeof message === 'string' && DRIVER_MESSAGES.some((text) => message.startsWith(text))) return true;
  if (error instanceof Error && SESSION_LOST_ERRORS.has(error.name)) return true;
  const inner = [cause, driverError, originalError, ...(Array.isArray(errors) ? (errors as unknown[]) : [])];
  return inner.some((wrapped) => wrapped !== error && isConnectionFailure(wrapped, depth + 1));
}
