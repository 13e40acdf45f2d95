import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsOptional, IsUUID } from 'class-validator';

/** One of the two: a backup of the tenant (PostgreSQL), or a moment (Azure SQL, from the service's own backups). */
export class RequestRestoreDto {
  @ApiPropertyOptional({ description: 'A succeeded backup of the tenant (GET /tenants/:code/backups).' })
  @IsOptional()
  @IsUUID()
  backupId?: string;

  @ApiPropertyOptional({ example: '2026-11-29T08:00:00Z', description: 'Azure SQL tenants: the moment to restore to, within the service’s retention.' })
  @IsOptional()
  @IsISO8601({ strict: true })
  pointInTime?: string;
}
