import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const TENANT_STATUSES = ['provisioning', 'active', 'suspended', 'deprovisioning', 'deleted', 'failed'] as const;
export type TenantStatus = (typeof TENANT_STATUSES)[number];

@Entity({ name: 'tenants' })
export class TenantEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  code: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text' })
  plan: string;

  @Column({ type: 'text' })
  region: string;

  @Column({ type: 'text' })
  status: TenantStatus;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;

  /**
   * The pool whose capacity this tenant takes: from admission until it is deleted, or fails before
   * its database was placed. Null while it takes none.
   */
  @Column({ name: 'slot_pool_id', type: 'uuid', nullable: true })
  slotPoolId: string | null;
}
