import { applyDecorators, type CanActivate, type ExecutionContext, Inject, Injectable, SetMetadata, UseGuards } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Forbidden, Unauthenticated } from '@tenantry/common';
import { AUTH_OPTIONS, type AuthOptions } from './auth-options';
import { JwtAuthGuard, type AuthenticatedRequest } from './jwt-auth.guard';

const REQUIRED_ROLE = 'tenantry:realm-role';

/** The platform admin role's name is configuration (AUTH_ADMIN_ROLE), so routes name the intent, not the string. */
export const ADMIN_ROLE = Symbol('ADMIN_ROLE');

@Injectable()
export class RealmRoleGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(AUTH_OPTIONS) private readonly options: AuthOptions,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const wanted = this.reflector.getAllAndOverride<string | typeof ADMIN_ROLE | undefined>(REQUIRED_ROLE, [context.getHandler(), context.getClass()]);
    if (wanted === undefined) return true;
    const role = wanted === ADMIN_ROLE ? this.options.adminRole : wanted;
    const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
    if (!principal) throw new Unauthenticated('missing bearer token (Authorization: Bearer <JWT>)');
    if (!principal.realmRoles.includes(role)) throw new Forbidden(`token lacks realm role ${role}`);
    return true;
  }
}

/** A verified token carrying the realm role (or, with ADMIN_ROLE, the configured platform admin role). */
export function RequireRealmRole(role: string | typeof ADMIN_ROLE): ClassDecorator & MethodDecorator {
  return applyDecorators(SetMetadata(REQUIRED_ROLE, role), UseGuards(JwtAuthGuard, RealmRoleGuard));
}
