import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { AuthenticatedRequest } from '@tenantry/auth';
import type { Actor } from '../tenants/actor';

/** The audited actor: the token's username, and the request id that is also in the logs. */
export const CurrentActor = createParamDecorator((_data: unknown, context: ExecutionContext): Actor => {
  const request = context.switchToHttp().getRequest<AuthenticatedRequest & { id?: unknown }>();
  return { name: request.principal?.username ?? 'unknown', requestId: typeof request.id === 'string' ? request.id : undefined };
});
