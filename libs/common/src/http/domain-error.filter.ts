import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { isConnectionFailure } from '../database/connection-failure';
import { DomainError, type ErrorCategory } from '../errors/domain-error';
import { TenantWritesFrozen } from '../errors/tenant-errors';
import { redactUrl } from '../logging/redact-credentials';

const STATUS_BY_CATEGORY: Record<ErrorCategory, number> = {
  invalid: HttpStatus.BAD_REQUEST,
  unauthenticated: HttpStatus.UNAUTHORIZED,
  forbidden: HttpStatus.FORBIDDEN,
  not_found: HttpStatus.NOT_FOUND,
  conflict: HttpStatus.CONFLICT,
  capacity: HttpStatus.UNPROCESSABLE_ENTITY,
  unavailable: HttpStatus.SERVICE_UNAVAILABLE,
};

// A dependency that went away (a restart, a failover, a full pool) is usually back within seconds.
const RETRY_AFTER_SECONDS = 5;

// read_only_sql_transaction: a write reached a database a switchover has made read-only, from a
// process whose cache had not yet heard of the freeze.
const READ_ONLY_TRANSACTION = '25006';

interface ErrorBody {
  retryAfterSeconds?: number;
  statusCode: HttpStatus;
  error: string;
  message: string | string[];
  correlationId?: string;
}

/**
 * The one place where failures become HTTP answers: domain errors by category, a database that
 * cannot be reached as a 503, anything unknown as an opaque 500. Every 503 says when to try again.
 */
@Catch()
export class DomainErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    const request = http.getRequest<Request & { id?: unknown }>();
    const body = this.toBody(exception, request);
    if (response.headersSent) return;
    const { retryAfterSeconds = RETRY_AFTER_SECONDS, ...answer } = body;
    if (answer.statusCode === HttpStatus.SERVICE_UNAVAILABLE) response.setHeader('Retry-After', String(retryAfterSeconds));
    response.status(answer.statusCode).json(answer);
  }

  private toBody(exception: unknown, request: Request & { id?: unknown }): ErrorBody {
    const domain = domainErrorOf(exception) ?? (sqlStateOf(exception) === READ_ONLY_TRANSACTION ? new TenantWritesFrozen() : undefined);
    if (domain) return { statusCode: STATUS_BY_CATEGORY[domain.category], error: domain.code, message: domain.message, retryAfterSeconds: domain.retryAfterSeconds };
    const parserStatus = (exception as { type?: string; status?: number }).type === 'entity.parse.failed' ? 400 : 0;
    if (parserStatus) return { statusCode: parserStatus, error: 'BAD_REQUEST', message: 'request body is not valid JSON' };
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const payload = exception.getResponse();
      const message = typeof payload === 'object' && payload !== null && 'message' in payload ? (payload as { message: string | string[] }).message : exception.message;
      if (status < 500) return { statusCode: status, error: HttpStatus[status] ?? 'ERROR', message };
    }
    const correlationId = typeof request.id === 'string' ? request.id : randomUUID();
    if (isConnectionFailure(exception)) {
      this.logger.warn({ err: exception, correlationId, path: request.url }, 'a database this request needs is unreachable');
      return {
        statusCode: HttpStatus.SERVICE_UNAVAILABLE,
        error: 'DEPENDENCY_UNAVAILABLE',
        message: 'a database this request needs is unreachable; try again shortly',
        correlationId,
      };
    }
    this.logger.error({ err: exception, correlationId, path: redactUrl(request.url) }, exception instanceof Error ? exception.message : 'unexpected error');
    return {
      statusCode: HttpStatus.INTERNAL_SERVER_ERROR,
      error: 'INTERNAL',
      message: 'internal error; quote the correlation id when reporting it',
      correlationId,
    };
  }
}

/**
 * The domain error a failure is, or carries: TypeORM's QueryFailedError keeps what the driver threw
 * as `driverError`, and mssql hands its queries the errors of its pool's own connects (the
 * connection cap's 503 among them), where pg's are thrown before a query starts.
 */
function domainErrorOf(exception: unknown): DomainError | undefined {
  if (exception instanceof DomainError) return exception;
  const driverError = typeof exception === 'object' && exception !== null ? (exception as { driverError?: unknown }).driverError : undefined;
  return driverError instanceof DomainError ? driverError : undefined;
}

function sqlStateOf(exception: unknown): string | undefined {
  if (typeof exception !== 'object' || exception === null) return undefined;
  const driverError = (exception as { driverError?: { code?: unknown } }).driverError ?? exception;
  const code = (driverError as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}
