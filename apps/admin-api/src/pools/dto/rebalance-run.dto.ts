import { ApiPropertyOptional } from '@nestjs/swagger';
import { WholeNumber } from '@tenantry/common';
import { IsOptional } from 'class-validator';
import { MAX_CONCURRENT_MOVES } from '../../admin-api-settings';
import { RebalancePlanQuery } from './rebalance-plan.query';

export class RebalanceRunDto extends RebalancePlanQuery {
  @ApiPropertyOptional({
    minimum: 1,
    maximum: MAX_CONCURRENT_MOVES,
    description: 'Moves under way across the fleet that this call may bring the count up to; REBALANCE_CONCURRENT_MOVES when absent.',
  })
  @IsOptional()
  @WholeNumber({ min: 1, max: MAX_CONCURRENT_MOVES })
  concurrency?: number;
}
