import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ENGINE_KINDS, type EngineKind } from '@tenantry/common';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';

export class RegisterServerDto {
  @ApiProperty({ enum: ENGINE_KINDS, example: 'postgres' })
  @IsIn(ENGINE_KINDS, { message: `engine must be ${ENGINE_KINDS.join(' or ')}` })
  engine: EngineKind;

  @ApiProperty({
    example: 'pg-2.internal',
    description: 'Where the control plane and business services reach it (an Azure SQL logical server: <name>.database.windows.net).',
  })
  @IsString()
  @Length(1, 255)
  host: string;

  @ApiPropertyOptional({ example: 5432, description: 'postgres: required; azure-sql: 1433 by default.' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(65535)
  port?: number;

  @ApiProperty({ example: 'local', description: 'Tenants of this region (one of TENANT_REGIONS) are placed on its pools.' })
  @Matches(/^[a-z][a-z0-9-]{0,31}$/, { message: 'region must be a lowercase word of at most 32 characters (letters, digits, -)' })
  region: string;

  @ApiProperty({ example: 5000, description: 'Most tenant databases its pools may hold together; an Azure SQL logical server at most 5,000.' })
  @IsInt()
  @Min(1)
  @Max(100_000)
  maxDatabases: number;

  @ApiPropertyOptional({
    example: 'tenantry_admin',
    description: 'The login the control plane uses on it (a PostgreSQL role with CREATEDB and CREATEROLE, or superuser).',
  })
  @IsOptional()
  @IsString()
  @Length(1, 63)
  login?: string;

  @ApiPropertyOptional({ description: "That login's password: stored protected as tenant secrets are, never shown. Omitted on an update: the stored one stays." })
  @IsOptional()
  @IsString()
  @Length(1, 1024)
  password?: string;

  @ApiPropertyOptional({ default: false, description: 'azure-sql only: the control plane signs in with its managed identity; no password is stored.' })
  @IsOptional()
  @IsBoolean()
  managedIdentity?: boolean;

  @ApiPropertyOptional({ default: false, description: 'Placement skips a draining server; the tenants on it keep working.' })
  @IsOptional()
  @IsBoolean()
  draining?: boolean;
}
