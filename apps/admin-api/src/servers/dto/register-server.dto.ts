import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ENGINE_KINDS, type EngineKind } from '@tenantry/common';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, Min, ValidateNested } from 'class-validator';
import { IsServerHost } from './server-host';

/** The PgBouncer in front of a PostgreSQL server (scripts/pgbouncer/pgbouncer.ini is the template: transaction pooling, auth_query). */
export class ServerPoolerDto {
  @ApiProperty({ example: 'pgbouncer-2.internal', description: 'Where business services and the control plane reach the pooler.' })
  @IsServerHost()
  host: string;

  @ApiProperty({ example: 6432 })
  @IsInt()
  @Min(1)
  @Max(65535)
  port: number;

  @ApiPropertyOptional({
    example: 'tenantry_pooler_admin',
    description:
      "A login of the pooler's admin_users: the control plane closes a rotated, suspended or offboarded login's pooled connections at its console. Required unless this is the configured server (TENANT_PG_URL), whose console is TENANT_PG_POOLER_ADMIN_URL.",
  })
  @IsOptional()
  @IsString()
  @Length(1, 63)
  adminLogin?: string;

  @ApiPropertyOptional({ description: "That login's password: stored protected, never shown. Omitted on an update: the stored one stays." })
  @IsOptional()
  @IsString()
  @Length(1, 1024)
  adminPassword?: string;
}

export class RegisterServerDto {
  @ApiProperty({ enum: ENGINE_KINDS, example: 'postgres' })
  @IsIn(ENGINE_KINDS, { message: `engine must be ${ENGINE_KINDS.join(' or ')}` })
  engine: EngineKind;

  @ApiProperty({
    example: 'pg-2.internal',
    description: 'Where the control plane and business services reach it (an Azure SQL logical server: <name>.database.windows.net).',
  })
  @IsServerHost()
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

  @ApiPropertyOptional({
    type: ServerPoolerDto,
    nullable: true,
    description:
      "postgres only: the PgBouncer in front of it, through which business services (TENANCY_PG_ROUTE=pooler, the default) reach its tenant databases. Left out on an update: the registered one stays; null: none, its tenants are reached directly. Business services take a change as each tenant's cached route is renewed (the tenants on it are invalidated).",
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => ServerPoolerDto)
  pooler?: ServerPoolerDto | null;

  @ApiPropertyOptional({ default: false, description: 'Placement skips a draining server; the tenants on it keep working.' })
  @IsOptional()
  @IsBoolean()
  draining?: boolean;
}
