import { Body, Controller, Get, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiQuery, ApiTags } from '@nestjs/swagger';
import { QueryWholeNumber } from '@tenantry/common';
import { TenantScoped } from '@tenantry/tenancy';
import { CreateOrderDto } from './dto/create-order.dto';
import { orderView } from './order.view';
import { OrdersService } from './orders.service';

@ApiTags('orders')
@ApiBearerAuth()
@TenantScoped()
@Controller('orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Post()
  async create(@Body() body: CreateOrderDto) {
    return orderView(await this.orders.create(body));
  }

  @Get(':id')
  async get(@Param('id', new ParseUUIDPipe()) id: string) {
    return orderView(await this.orders.get(id));
  }

  @Get()
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } })
  async list(@QueryWholeNumber({ name: 'limit', min: 1, max: 200, absent: 50 }) limit: number) {
    return (await this.orders.list(limit)).map(orderView);
  }
}
