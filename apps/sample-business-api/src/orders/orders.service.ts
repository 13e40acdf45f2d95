import { Injectable } from '@nestjs/common';
import { TenantContext } from '@tenantry/tenancy';
import { Customer, Order, OrderLine } from '@tenantry/tenant-schema';
import type { CreateOrderDto } from './dto/create-order.dto';
import { OrderNotFound } from './order-not-found.error';

/** Plain business code: it never names a tenant; TenantContext hands it the current tenant's database. */
@Injectable()
export class OrdersService {
  constructor(private readonly tenant: TenantContext) {}

  async create(input: CreateOrderDto): Promise<Order> {
    const dataSource = await this.tenant.dataSource();
    return dataSource.transaction(async (em) => {
      const customer = input.customerName ? await em.save(em.create(Customer, { name: input.customerName })) : null;
      const lines = input.lines.map((line) => em.create(OrderLine, { sku: line.sku, quantity: line.quantity, unitPriceCents: String(line.unitPriceCents) }));
      // Exact: CreateOrderDto's limits keep a total under 500 × 100,000 × 100,000,000 = 5e15 < Number.MAX_SAFE_INTEGER.
      const total = input.lines.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0);
      const { id } = await em.save(em.create(Order, { customerId: customer?.id ?? null, totalCents: String(total), lines }));
      // Read back as GET reads it, with what the database assigned (the order number).
      return em.findOneOrFail(Order, { where: { id }, relations: { lines: true } });
    });
  }

  async get(id: string): Promise<Order> {
    const orders = await this.tenant.repository(Order);
    const order = await orders.findOne({ where: { id }, relations: { lines: true } });
    if (!order) throw new OrderNotFound(id);
    return order;
  }

  async list(limit: number): Promise<Order[]> {
    const orders = await this.tenant.repository(Order);
    return orders.find({ order: { createdAt: 'DESC' }, take: limit, relations: { lines: true } });
  }
}
