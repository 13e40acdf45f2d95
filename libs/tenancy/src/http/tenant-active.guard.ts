import { type CanActivate, Injectable } from '@nestjs/common';
import { TenantContext } from '../context/tenant-context';

/** Runs after the tenant claim is in context: an unknown tenant is a 404, a suspended one a 403, before any handler. */
@Injectable()
export class TenantActiveGuard implements CanActivate {
  constructor(private readonly context: TenantContext) {}

  async canActivate(): Promise<boolean> {
    await this.context.resolve();
    return true;
  }
}
