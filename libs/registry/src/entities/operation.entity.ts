import type { OperationKind } from '@tenantry/common';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type OperationStatus = 'pending' | 'running' | 'succeeded' | 'failed';

export interface StepTiming {
  step: string;
  startedAt: string;
  durationMs: number;
  detail?: string;
}

/** The outbox row and the saga's state: the queue may lose a job, this row is never lost. */
@Entity({ name: 'operations' })
export class OperationEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ type: 'text' })
  kind: OperationKind;

  @Column({ type: 'text' })
  status: OperationStatus;

  /** The step running now, or the one that failed. */
  @Column({ type: 'text', nullable: true })
  step: string | null;

  @Column({ name: 'completed_steps', type: 'jsonb', default: () => `'[]'` })
  completedSteps: StepTiming[];

  @Column({ type: 'int', default: 0 })
  attempts: number;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  @Column({ type: 'jsonb', default: () => `'{}'` })
  params: Record<string, unknown>;

  /** What a running step saved to go on after a crash (an export's Location), by step name. */
  @Column({ type: 'jsonb', default: () => `'{}'` })
  checkpoints: Record<string, string>;

  /** A new protected secret the login is being given; the tenant's stored secret stays the old one until the login accepts it. */
  @Column({ name: 'pending_secret', type: 'text', nullable: true })
  pendingSecret: string | null;

  /** When the login's password changed, by the database server's clock: sessions opened before it used the old one. */
  @Column({ name: 'password_changed_at', type: 'timestamptz', nullable: true })
  passwordChangedAt: Date | null;

  /** A cancel asked for (a move honours it until its switch, then refuses it). */
  @Column({ name: 'cancel_requested_at', type: 'timestamptz', nullable: true })
  cancelRequestedAt: Date | null;

  @Column({ name: 'requested_by', type: 'text' })
  requestedBy: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt: Date | null;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt: Date | null;
}
