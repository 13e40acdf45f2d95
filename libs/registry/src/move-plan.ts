import type { PoolAddress } from '@tenantry/common';
import type { OperationEntity } from './entities/operation.entity';

/** The move's step that switches the tenant: its checkpoint ends the time a cancel is taken, and a rollback's. */
export const MOVE_POINT_OF_NO_RETURN = 'switch';

export interface MoveEnd {
  poolId: string;
  address: PoolAddress;
  databaseName: string;
}

/** A move operation's params, written by the admin API with the operation: where the tenant's database was and where it goes. */
export interface MovePlan {
  /** The target pool's name, as asked for. */
  pool: string;
  from: MoveEnd;
  to: MoveEnd;
}

export function movePlanOf(operation: Pick<OperationEntity, 'id' | 'kind' | 'params'>): MovePlan {
  const plan = operation.params as Partial<MovePlan>;
  if (operation.kind !== 'move' || !plan.from?.address || !plan.to?.address) throw new Error(`operation ${operation.id} carries no move plan`);
  return plan as MovePlan;
}

/** Both ends on one server: the move is a change of pool in the registry, with no data to copy. */
export function withinOneServer(plan: MovePlan): boolean {
  return plan.from.address.host === plan.to.address.host && plan.from.address.port === plan.to.address.port && plan.from.databaseName === plan.to.databaseName;
}
