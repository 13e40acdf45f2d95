import type { Order } from '@tenantry/tenant-schema';

/**
 * bigint columns arrive as strings (from pg and mssql alike, so nothing is lost on the way); the API
 * answers them as JSON numbers. One beyond Number.MAX_SAFE_INTEGER would be rounded by every JSON
 * reader, so it is refused (an opaque 500 whose log names the column) rather than shown wrong.
 */
export function exactInteger(value: string, column: string): number {
  const integer = Number(value);
  if (!Number.isSafeInteger(integer)) throw new RangeError(`${column} ${value} is beyond the integers a JSON number carries exactly`);
  return integer;
}

/** One shape for every answer with an order: the one GET gives, POST gives too. Money in integer cents. */
export function orderView(order: Order) {
  return {
    id: order.id,
    number: exactInteger(order.number, 'orders.number'),
    customerId: order.customerId,
    status: order.status,
    totalCents: exactInteger(order.totalCents, 'orders.total_cents'),
    createdAt: order.createdAt,
    lines: order.lines.map((line) => ({
      id: line.id,
      orderId: line.orderId,
      sku: line.sku,
      quantity: line.quantity,
      unitPriceCents: exactInteger(line.unitPriceCents, 'order_lines.unit_price_cents'),
    })),
  };
}
