import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';

export class RegisterPoolDto {
  @ApiProperty({ enum: ['postgres', 'azure-sql'], example: 'postgres' })
  @IsIn(['postgres', 'azure-sql'], { message: 'engine must be postgres or azure-sql' })
  engine: 'postgres' | 'azure-sql';

  @ApiProperty({ example: '127.0.0.1' })
  @IsString()
  @Length(1, 255)
  host: string;

  @ApiProperty({ example: 5432 })
  @IsInt()
  @Min(1)
  @Max(65535)
  port: number;

  @ApiProperty({ example: 500, description: 'Most tenant databases this pool may hold (Azure SQL pools have a fixed limit).' })
  @IsInt()
  @Min(1)
  @Max(100_000)
  maxDatabases: number;

  @ApiPropertyOptional({ default: false, description: 'Reserved for tenants that name it; automatic placement skips it.' })
  @IsOptional()
  @IsBoolean()
  dedicated?: boolean;
}
