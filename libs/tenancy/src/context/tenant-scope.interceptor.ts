import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { finalize, type Observable } from 'rxjs';
import { TenantContext } from './tenant-context';

/** A request is one unit of work: the tenant connections its handler takes are released when it has answered. */
@Injectable()
export class TenantScopeInterceptor implements NestInterceptor {
  constructor(private readonly tenant: TenantContext) {}

  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const scope = this.tenant.beginUnitOfWork();
    return next.handle().pipe(finalize(() => scope.end()));
  }
}
