import { Column, CreateDateColumn, Entity, OneToMany, PrimaryGeneratedColumn } from 'typeorm';
import { OrderLine } from './order-line.entity';

// Column types as in Customer: ones both drivers map onto the migrated tables.
@Entity({ name: 'orders' })
export class Order {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** Human-facing order number, assigned by the database. */
  @Column({ type: 'bigint', insert: false, update: false })
  number: string;

  @Column({ name: 'customer_id', type: 'uuid', nullable: true })
  customerId: string | null;

  @Column({ type: String, default: 'open' })
  status: string;

  /** bigint arrives as a string from pg and from mssql: no precision is lost on large totals. */
  @Column({ name: 'total_cents', type: 'bigint', default: 0 })
  totalCents: string;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;

  @OneToMany(() => OrderLine, (line) => line.order, { cascade: ['insert'] })
  lines: OrderLine[];
}
