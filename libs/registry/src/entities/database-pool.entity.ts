import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { EngineKind } from './engine-kind';

/** A server (PostgreSQL) or elastic pool (Azure SQL) that holds tenant databases, with its capacity. */
@Entity({ name: 'database_pools' })
export class DatabasePoolEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text', unique: true })
  name: string;

  @Column({ type: 'text' })
  engine: EngineKind;

  @Column({ type: 'text' })
  host: string;

  @Column({ type: 'int' })
  port: number;

  /** Azure SQL: the elastic pool's ARM resource id; null for a PostgreSQL server or a plain SQL Server. */
  @Column({ name: 'elastic_pool_id', type: 'text', nullable: true })
  elasticPoolId: string | null;

  /** The Azure region of that elastic pool. */
  @Column({ type: 'text', nullable: true })
  location: string | null;

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
