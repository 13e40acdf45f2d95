import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { EngineKind } from './engine-kind';

/** Where one tenant's database lives; `secret` is the protected credential (ciphertext or a vault reference), never plaintext. */
@Entity({ name: 'tenant_databases' })
export class TenantDatabaseEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  /** Null only once the database is dropped and its pool removed. */
  @Column({ name: 'pool_id', type: 'uuid', nullable: true })
  poolId: string | null;

  @Column({ type: 'text' })
  engine: EngineKind;

  @Column({ type: 'text' })
  host: string;

  @Column({ type: 'int' })
  port: number;

  /** The elastic pool the database was created in (Azure SQL), copied from its pool at placement like host and port. */
  @Column({ name: 'elastic_pool_id', type: 'text', nullable: true })
  elasticPoolId: string | null;

  /** The Azure region of that elastic pool. */
  @Column({ type: 'text', nullable: true })
  location: string | null;

  @Column({ name: 'database_name', type: 'text' })
  databaseName: string;

  @Column({ name: 'login_name', type: 'text' })
  loginName: string;

  @Column({ type: 'text', nullable: true })
  secret: string | null;

  @Column({ name: 'schema_version', type: 'text', nullable: true })
  schemaVersion: string | null;

  /** When offboarding dropped the database; the record stays, as the tenant's does. */
  @Column({ name: 'dropped_at', type: 'timestamptz', nullable: true })
  droppedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
