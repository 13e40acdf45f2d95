import { type CanActivate, type ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Unauthenticated } from '@tenantry/common';
import { ClsService } from 'nestjs-cls';
import { bearerCredential } from './bearer-token';
import { TokenVerifier } from './token-verifier';
import { PRINCIPAL_KEY, type VerifiedPrincipal } from './verified-principal';

const PUBLIC_ROUTE = 'tenantry:public';

/** Marks a route (health, docs) that needs no token. */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

export type AuthenticatedRequest = { headers: Record<string, string | string[] | undefined>; principal?: VerifiedPrincipal };

@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    private readonly verifier: TokenVerifier,
    private readonly reflector: Reflector,
    private readonly cls: ClsService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [context.getHandler(), context.getClass()])) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const credential = bearerCredential(request.headers.authorization);
    if (credential.kind === 'missing') throw new Unauthenticated('missing bearer token (Authorization: Bearer <JWT>)');
    if (credential.kind === 'malformed') throw new Unauthenticated('malformed bearer token: expected a JWT (Authorization: Bearer <JWT>)');
    const principal = await this.verifier.verify(credential.token);
    request.principal = principal;
    if (this.cls.isActive()) this.cls.set(PRINCIPAL_KEY, principal);
    return true;
  }
}
