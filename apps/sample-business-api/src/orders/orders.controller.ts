import { Body, Controller, DefaultValuePipe, Get, Param, ParseIntPipe, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
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
  async list(@Query('limit', new DefaultValuePipe(50), ParseIntPipe) limit: number) {
    return (await this.orders.list(Math.min(Math.max(limit, 1), 200))).map(orderView);
  }
}
