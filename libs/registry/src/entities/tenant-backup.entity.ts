import type { EngineKind } from '@tenantry/common';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type BackupStatus = 'running' | 'succeeded' | 'failed' | 'expired';

/** One backup of a tenant database: where the backup store keeps it, how big, and how it went. */
@Entity({ name: 'tenant_backups' })
export class TenantBackupEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ name: 'operation_id', type: 'uuid', nullable: true })
  operationId: string | null;

  @Column({ type: 'text' })
  engine: EngineKind;

  @Column({ name: 'database_name', type: 'text' })
  databaseName: string;

  @Column({ name: 'schema_version', type: 'text', nullable: true })
  schemaVersion: string | null;

  /** The backup store's name for it; null until it is written. */
  @Column({ type: 'text', nullable: true })
  location: string | null;

  @Column({
    name: 'size_bytes',
    type: 'bigint',
    nullable: true,
    transformer: { to: (v: number | null) => v, from: (v: string | null) => (v === null ? null : Number(v)) },
  })
  sizeBytes: number | null;

  @Column({ type: 'text' })
  status: BackupStatus;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  @CreateDateColumn({ name: 'started_at', type: 'timestamptz' })
  startedAt: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt: Date | null;
}
