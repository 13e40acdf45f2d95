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

  @ApiPropertyOptional({ example: 'standard', default: 'standard' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z][a-z0-9-]{0,31}$/, { message: 'plan must be a lowercase word of at most 32 characters' })
  plan?: string;

  @ApiPropertyOptional({ example: 'westeurope', default: 'local' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z][a-z0-9-]{0,31}$/, { message: 'region must be a lowercase word of at most 32 characters' })
  region?: string;

  @ApiPropertyOptional({ example: 'acme-dedicated', description: 'Place the database on this registered pool (e.g. an enterprise tenant’s own).' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z][a-z0-9-]{0,39}$/, { message: 'pool must be a registered pool name' })
  pool?: string;
}
