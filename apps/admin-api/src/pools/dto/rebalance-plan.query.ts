import { ApiPropertyOptional } from '@nestjs/swagger';
import { WholeNumber } from '@tenantry/common';
import { IsOptional } from 'class-validator';

export class RebalancePlanQuery {
  @ApiPropertyOptional({
    minimum: 1,
    maximum: 100,
    description: 'Percentage of its capacity above which a shared pool or a server has tenants proposed to move out; REBALANCE_FILL_PERCENT when absent.',
  })
  @IsOptional()
  @WholeNumber({ min: 1, max: 100 })
  threshold?: number;
}
