import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsInt, IsOptional, IsString, Length, Max, Min, ValidateNested } from 'class-validator';

export class OrderLineDto {
  @ApiProperty({ example: 'SKU-001' })
  @IsString()
  @Length(1, 64)
  sku: string;

  @ApiProperty({ example: 2 })
  @IsInt()
  @Min(1)
  @Max(100_000)
  quantity: number;

  @ApiProperty({ example: 1250, description: 'Unit price in cents.' })
  @IsInt()
  @Min(0)
  @Max(100_000_000)
  unitPriceCents: number;
}

export class CreateOrderDto {
  @ApiPropertyOptional({ example: 'Jane Doe' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  customerName?: string;

  @ApiProperty({ type: [OrderLineDto] })
  @ValidateNested({ each: true })
  @Type(() => OrderLineDto)
  @ArrayMinSize(1)
  @ArrayMaxSize(500)
  lines: OrderLineDto[];
}
