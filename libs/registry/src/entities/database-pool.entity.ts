import type { PoolAddress } from '@tenantry/common';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { PoolAddressColumns } from './pool-address.columns';

/** A share of a server (PostgreSQL) or an elastic pool (Azure SQL) that holds tenant databases, with its capacity. */
@Entity({ name: 'database_pools' })
export class DatabasePoolEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text', unique: true })
  name: string;

  /** The server it is a share of (whose limit its capacity counts against) and whose address it has. */
  @Column({ name: 'server_id', type: 'uuid' })
  serverId: string;

  @Column(() => PoolAddressColumns, { prefix: false })
  address: PoolAddress;

  @Column({ name: 'max_databases', type: 'int' })
  maxDatabases: number;

  /** Reserved for tenants that name it; automatic placement never uses it. */
  @Column({ type: 'boolean', default: false })
  dedicated: boolean;

  /** Tenants taking a place in it (see TenantEntity.slotPoolId); written only by PoolRepository.reserve and release. */
  @Column({ name: 'used_slots', type: 'int', default: 0 })
  usedSlots: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
