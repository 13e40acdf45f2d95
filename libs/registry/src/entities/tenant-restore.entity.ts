import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type RestoreStatus = 'restoring' | 'ready' | 'swapped' | 'failed' | 'discarded';

/**
 * A tenant database restored side by side (from a backup, or to a point in time), for an operator
 * to inspect; once swapped in, the database it replaced (retired by the switchover, as a move's).
 */
@Entity({ name: 'tenant_restores' })
export class TenantRestoreEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ name: 'operation_id', type: 'uuid' })
  operationId: string;

  @Column({ name: 'backup_id', type: 'uuid', nullable: true })
  backupId: string | null;

  @Column({ name: 'point_in_time', type: 'timestamptz', nullable: true })
  pointInTime: Date | null;

  /** The restored database, on the server of the tenant's database. */
  @Column({ name: 'database_name', type: 'text' })
  databaseName: string;

  @Column({ type: 'text' })
  status: RestoreStatus;

  /** Kept, and dropped after its retention, as retired_databases records it. */
  @Column({ name: 'replaced_database_name', type: 'text', nullable: true })
  replacedDatabaseName: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'ready_at', type: 'timestamptz', nullable: true })
  readyAt: Date | null;

  @Column({ name: 'swapped_at', type: 'timestamptz', nullable: true })
  swappedAt: Date | null;
}
