import type { PoolAddress, TenantDatabaseLocation } from '@tenantry/common';
import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { PoolAddressColumns } from './pool-address.columns';

/** Where one tenant's database lives; `secret` is the protected credential (ciphertext or a vault reference), never plaintext. */
@Entity({ name: 'tenant_databases' })
export class TenantDatabaseEntity implements TenantDatabaseLocation {
  @PrimaryColumn({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  /** Null only once the database is dropped and its pool removed. */
  @Column({ name: 'pool_id', type: 'uuid', nullable: true })
  poolId: string | null;

  /** Copied from its pool at placement: where the database was created, even if the pool's address changes later. */
  @Column(() => PoolAddressColumns, { prefix: false })
  address: PoolAddress;

  @Column({ name: 'database_name', type: 'text' })
  databaseName: string;

  @Column({ name: 'login_name', type: 'text' })
  loginName: string;

  @Column({ type: 'text', nullable: true })
  secret: string | null;

  @Column({ name: 'schema_version', type: 'text', nullable: true })
  schemaVersion: string | null;

  /** Set while a switchover holds the tenant's writes (business services answer them 503); null otherwise. */
  @Column({ name: 'writes_frozen_at', type: 'timestamptz', nullable: true })
  writesFrozenAt: Date | null;

  /** When offboarding dropped the database; the record stays, as the tenant's does. */
  @Column({ name: 'dropped_at', type: 'timestamptz', nullable: true })
  droppedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
