import type { EngineKind, PoolAddress } from '@tenantry/common';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const SERVER_CREDENTIAL_KINDS = ['configured', 'password', 'managed-identity'] as const;
/** configured: the process's own TENANT_PG_URL; password: `login` and the protected `secret`; managed-identity: Azure, no secret. */
export type ServerCredentialKind = (typeof SERVER_CREDENTIAL_KINDS)[number];

/** A PostgreSQL server or an Azure SQL logical server: pools are shares of it, and it caps the databases they hold together. */
@Entity({ name: 'database_servers' })
export class DatabaseServerEntity {
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

  @Column({ type: 'text' })
  region: string;

  /** Its pools' capacities together never pass it (checked when either is registered): admission counts per pool only. */
  @Column({ name: 'max_databases', type: 'int' })
  maxDatabases: number;

  @Column({ name: 'credential_kind', type: 'text' })
  credentialKind: ServerCredentialKind;

  @Column({ type: 'text', nullable: true })
  login: string | null;

  /** The password, protected as tenant secrets are (context `server-<id>`); never plaintext. */
  @Column({ type: 'text', nullable: true })
  secret: string | null;

  /** The PgBouncer in front of it (postgres only): business services reach its tenant databases there. */
  @Column({ name: 'pooler_host', type: 'text', nullable: true })
  poolerHost: string | null;

  @Column({ name: 'pooler_port', type: 'int', nullable: true })
  poolerPort: number | null;

  /** Who signs in to that pooler's console; null on the configured server, whose console is TENANT_PG_POOLER_ADMIN_URL. */
  @Column({ name: 'pooler_admin_login', type: 'text', nullable: true })
  poolerAdminLogin: string | null;

  /** That login's password, protected (context `server-<id>:pooler`); never plaintext. */
  @Column({ name: 'pooler_admin_secret', type: 'text', nullable: true })
  poolerAdminSecret: string | null;

  /** Placement skips it; the tenants on it keep working. */
  @Column({ type: 'boolean', default: false })
  draining: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

/** What the SecretProtector binds a server's password to, so a ciphertext copied onto another row does not open. */
export function serverSecretContext(serverId: string): string {
  return `server-${serverId}`;
}

/** What the SecretProtector binds a server's pooler console password to. */
export function serverPoolerSecretContext(serverId: string): string {
  return `${serverSecretContext(serverId)}:pooler`;
}

/** The address the engines act on for a server's own work (templates, spares), as a pool on it has it. */
export function serverAddress(server: Pick<DatabaseServerEntity, 'engine' | 'host' | 'port'>): PoolAddress {
  return { engine: server.engine, host: server.host, port: server.port, elasticPoolId: null, location: null };
}
