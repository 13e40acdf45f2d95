import { ApiPropertyOptional } from '@nestjs/swagger';
import { WholeNumber } from '@tenantry/common';
import { IsOptional } from 'class-validator';

// Far past any real registry, small enough that (page - 1) * pageSize stays an exact OFFSET.
const MAX_PAGE = 1_000_000;

export class PageQuery {
  @ApiPropertyOptional({ default: 1, minimum: 1, maximum: MAX_PAGE })
  @IsOptional()
  @WholeNumber({ min: 1, max: MAX_PAGE })
  page: number = 1;

  @ApiPropertyOptional({ default: 20, minimum: 1, maximum: 100 })
  @IsOptional()
  @WholeNumber({ min: 1, max: 100 })
  pageSize: number = 20;
}
