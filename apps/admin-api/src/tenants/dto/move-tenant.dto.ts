import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';

export class MoveTenantDto {
  @ApiProperty({
    example: 'acme-dedicated',
    description: 'The registered pool the database moves to, of the same engine: on the same server or another; a dedicated pool upgrades a shared tenant.',
  })
  @IsString()
  @Matches(/^[a-z][a-z0-9-]{0,39}$/, { message: 'pool must be a registered pool name' })
  pool: string;
}
