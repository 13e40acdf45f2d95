import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ENGINE_KINDS, type EngineKind } from '@tenantry/common';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, Min, ValidateNested } from 'class-validator';
import { IsServerHost } from '../../servers/dto/server-host';

/** The elastic pool's SKU as Azure shows it (`az sql elastic-pool show`, the Bicep `sku`): what its database limit follows. */
export class ElasticPoolSkuDto {
  @ApiProperty({ example: 'GP_Gen5', description: 'GP_Gen5, GP_Fsv2, GP_DC, BC_Gen5, BC_M, BC_DC, BasicPool, StandardPool or PremiumPool.' })
  @IsString()
  @Length(1, 64)
  name: string;

  @ApiProperty({ example: 4, description: 'vCores (vCore SKUs) or eDTUs (BasicPool, StandardPool, PremiumPool).' })
  @IsInt()
  @Min(1)
  @Max(100_000)
  capacity: number;
}

export class RegisterPoolDto {
  @ApiPropertyOptional({
    example: 'pg-2',
    description: 'The registered server (GET /servers) the pool is a share of; absent: the server registered at its engine, host and port.',
  })
  @IsOptional()
  @Matches(/^[a-z][a-z0-9-]{0,39}$/, { message: 'server must be a registered server name' })
  server?: string;

  @ApiProperty({ enum: ENGINE_KINDS, example: 'postgres' })
  @IsIn(ENGINE_KINDS, { message: `engine must be ${ENGINE_KINDS.join(' or ')}` })
  engine: EngineKind;

  @ApiPropertyOptional({
    example: '127.0.0.1',
    description: 'Required for postgres and a plain SQL Server unless `server` is given (then its host); an elastic pool defaults to <server>.database.windows.net.',
  })
  @IsOptional()
  @IsServerHost()
  host?: string;

  @ApiPropertyOptional({ example: 5432, description: 'Required for postgres unless `server` is given (then its port); azure-sql defaults to 1433.' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(65535)
  port?: number;

  @ApiPropertyOptional({
    example: '/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/rg-tenants/providers/Microsoft.Sql/servers/sql-weu-1/elasticPools/pool-a',
    description: 'azure-sql only: the ARM resource id of the elastic pool the tenant databases are created in. Absent: a plain SQL Server.',
  })
  @IsOptional()
  @IsString()
  @Length(1, 512)
  elasticPoolId?: string;

  @ApiPropertyOptional({ example: 'westeurope', description: 'azure-sql elastic pools only: the Azure region of the pool.' })
  @IsOptional()
  @Matches(/^[a-z][a-z0-9]{1,39}$/, { message: 'location must be an Azure region name such as westeurope' })
  location?: string;

  @ApiPropertyOptional({
    type: ElasticPoolSkuDto,
    description:
      "Required with elasticPoolId: the pool's SKU, whose documented database limit maxDatabases may not pass (https://learn.microsoft.com/azure/azure-sql/database/resource-limits-vcore-elastic-pools).",
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => ElasticPoolSkuDto)
  sku?: ElasticPoolSkuDto;

  @ApiProperty({
    example: 500,
    description:
      'Most tenant databases this pool may hold; an elastic pool at most what its SKU holds (e.g. GP_Gen5: 100 at 2 vCores, 200 at 4, 500 from 6; BC_Gen5: 50 at 4, 100 from 6).',
  })
  @IsInt()
  @Min(1)
  @Max(100_000)
  maxDatabases: number;

  @ApiPropertyOptional({ default: false, description: 'Reserved for tenants that name it; automatic placement skips it.' })
  @IsOptional()
  @IsBoolean()
  dedicated?: boolean;
}
