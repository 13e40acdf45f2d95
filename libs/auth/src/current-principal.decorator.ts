import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { AuthenticatedRequest } from './jwt-auth.guard';
import type { VerifiedPrincipal } from './verified-principal';

export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): VerifiedPrincipal | undefined => context.switchToHttp().getRequest<AuthenticatedRequest>().principal,
);
