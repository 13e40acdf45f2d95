import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length, Matches } from 'class-validator';

export class CreateTenantDto {
  @ApiProperty({
    example: 'acme',
    description: 'Lowercase letter first, then lowercase letters, digits or _; 2 to 36 characters; reserved names refused.',
  })
  @IsString()
  code: string;

  @ApiProperty({ example: 'Acme Corporation' })
  @IsString()
  @Length(1, 200)
  name: string;

  @ApiPropertyOptional({ example: 'standard', description: 'One of the configured plans (TENANT_PLANS); absent: the first of them.' })
  @IsOptional()
  @IsString()
  plan?: string;

  @ApiPropertyOptional({ example: 'local', description: 'One of the configured regions (TENANT_REGIONS); absent: the first of them.' })
  @IsOptional()
  @IsString()
  region?: string;

  @ApiPropertyOptional({ example: 'acme-dedicated', description: 'Place the database on this registered pool (e.g. an enterprise tenant’s own).' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z][a-z0-9-]{0,39}$/, { message: 'pool must be a registered pool name' })
  pool?: string;
}
