import { type ArgumentsHost, BadRequestException, Logger } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { DependencyUnavailable, TenantNotFound } from '../errors/tenant-errors';
import { DomainErrorFilter } from './domain-error.filter';

function answer(exception: unknown) {
  const headers: Record<string, string> = {};
  let status = 0;
  let body: Record<string, unknown> = {};
  const response = {
    headersSent: false,
    setHeader: (name: string, value: string) => (headers[name.toLowerCase()] = value),
    status(code: number) {
      status = code;
      return this;
    },
    json: (payload: Record<string, unknown>) => (body = payload),
  };
  const host = { switchToHttp: () => ({ getResponse: () => response, getRequest: () => ({ url: '/orders', id: 'req-1' }) }) };
  new DomainErrorFilter().catch(exception, host as unknown as ArgumentsHost);
  return { status, body, retryAfter: headers['retry-after'] };
}

describe('DomainErrorFilter', () => {
  beforeAll(() => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });

  it('answers a database that went away with 503 and Retry-After, saying nothing internal', () => {
    const ended = new QueryFailedError('SELECT secret FROM …', [], Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }));
    const { status, body, retryAfter } = answer(ended);
    expect(status).toBe(503);
    expect(retryAfter).toMatch(/^\d+$/);
    expect(body).toEqual({
      statusCode: 503,
      error: 'DEPENDENCY_UNAVAILABLE',
      message: 'a database this request needs is unreachable; try again shortly',
      correlationId: 'req-1',
    });
  });

  it('gives every unavailable-category domain error a Retry-After', () => {
    const { status, retryAfter, body } = answer(new DependencyUnavailable('the tenant registry is unavailable'));
    expect({ status, retryAfter, error: body.error }).toEqual({ status: 503, retryAfter: expect.stringMatching(/^\d+$/), error: 'DEPENDENCY_UNAVAILABLE' });
  });

  it('answers a domain error that a query failed with (mssql connects for its queries) as that error', () => {
    const wrapped = new QueryFailedError('SELECT 1', [], new DependencyUnavailable('all tenant connections stayed busy'));
    const { status, retryAfter, body } = answer(wrapped);
    expect({ status, retryAfter, body }).toEqual({
      status: 503,
      retryAfter: expect.stringMatching(/^\d+$/),
      body: { statusCode: 503, error: 'DEPENDENCY_UNAVAILABLE', message: 'all tenant connections stayed busy' },
    });
  });

  it('keeps other answers as they were: no Retry-After', () => {
    expect(answer(new TenantNotFound('x'))).toMatchObject({ status: 404, retryAfter: undefined });
    expect(answer(new BadRequestException('limit must be a number'))).toMatchObject({ status: 400, retryAfter: undefined });
    expect(answer(new Error('bug'))).toMatchObject({ status: 500, retryAfter: undefined, body: { error: 'INTERNAL', correlationId: 'req-1' } });
  });
});
