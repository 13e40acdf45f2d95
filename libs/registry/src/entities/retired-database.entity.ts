import type { PoolAddress } from '@tenantry/common';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { PoolAddressColumns } from './pool-address.columns';

/** A tenant database a switchover left behind: kept until `dropAfter`, then dropped by the worker's sweeper. */
@Entity({ name: 'retired_databases' })
export class RetiredDatabaseEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  /** The operation whose switch retired it: one retirement per operation, so a switch run again records none twice. */
  @Column({ name: 'operation_id', type: 'uuid', nullable: true })
  operationId: string | null;

  @Column(() => PoolAddressColumns, { prefix: false })
  address: PoolAddress;

  @Column({ name: 'database_name', type: 'text' })
  databaseName: string;

  @Column({ name: 'login_name', type: 'text' })
  loginName: string;

  @Column({ name: 'retired_at', type: 'timestamptz', default: () => 'now()' })
  retiredAt: Date;

  @Column({ name: 'drop_after', type: 'timestamptz' })
  dropAfter: Date;

  @Column({ name: 'dropped_at', type: 'timestamptz', nullable: true })
  droppedAt: Date | null;
}
