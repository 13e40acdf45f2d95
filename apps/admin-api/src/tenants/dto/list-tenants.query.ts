import { ApiPropertyOptional } from '@nestjs/swagger';
import { TENANT_STATUSES, type TenantStatus } from '@tenantry/registry';
import { IsIn, IsOptional } from 'class-validator';
import { PageQuery } from '../../http/page.query';

export class ListTenantsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: TENANT_STATUSES })
  @IsOptional()
  @IsIn(TENANT_STATUSES, { message: `status must be one of: ${TENANT_STATUSES.join(', ')}` })
  status?: TenantStatus;
}
