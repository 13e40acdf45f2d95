import type { EngineKind, PoolAddress, TenantDatabaseLocation } from '@tenantry/common';
import type { SchemaReading, SchemaSnapshot } from '@tenantry/tenant-schema';
import type { RelocationEngine } from './relocation-engine';

export type BackupMode = 'dump' | 'point-in-time';

/**
 * How each engine's databases are backed up: `dump`, a file in Tenantry's backup store; `point-in-time`,
 * by the service itself (Azure SQL keeps 7 to 35 days), so a restore names a moment and we keep nothing.
 */
export const BACKUP_MODES: Record<EngineKind, BackupMode> = { postgres: 'dump', 'azure-sql': 'point-in-time' };

/** A tenant database as the engines act on it: where it lives, and its tenant's code, which Azure SQL tags it with. */
export interface TenantDatabaseTarget extends TenantDatabaseLocation {
  tenantCode: string;
}

export interface SchemaOutcome {
  /** Migrations this call applied (empty when the database was already current). */
  applied: string[];
  version: string;
}

/**
 * The port every engine adapter implements. Each method is idempotent: it checks what already
 * exists before acting, so a retried or resumed saga step converges to the same end state.
 */
export interface TenantDatabaseEngine {
  readonly kind: EngineKind;
  databaseExists(target: TenantDatabaseTarget): Promise<boolean>;
  /**
   * A database of the tenant's name that is not the tenant's is a TenantDatabaseConflict, never
   * adopted: on PostgreSQL, one this control plane did not make and mark for it; on Azure SQL, one
   * in another elastic pool.
   */
  createDatabase(target: TenantDatabaseTarget): Promise<void>;
  /**
   * Takes from everyone what a tenant login must not have on this server (connecting to the
   * server's own databases), so a login reaches its own database only. Idempotent.
   */
  secureServer(): Promise<void>;
  /** Creates the tenant's login (if absent) with rights on its own database only. */
  ensureLogin(target: TenantDatabaseTarget): Promise<void>;
  /** Leaves the login enabled or disabled as it was; returns when the change took effect, by the server's clock. */
  setLoginPassword(target: TenantDatabaseTarget, password: string): Promise<Date>;
  /** Whether the login may open new sessions (a suspended tenant's may not); its open sessions are left alone. */
  setLoginEnabled(target: TenantDatabaseTarget, enabled: boolean): Promise<void>;
  /** The login's open sessions, or only those opened before `openedBefore` (the server's clock). */
  countSessions(target: TenantDatabaseTarget, openedBefore?: Date): Promise<number>;
  /**
   * Asks a pooler in front of the server to close the login's pooled server connections as their
   * transactions end (PostgreSQL behind PgBouncer); nothing where no pooler holds connections.
   */
  releasePooledSessions(target: TenantDatabaseTarget): Promise<void>;
  /**
   * Closes the pooler's idle server connections of the least recently used databases once the pooler
   * holds more than `budget` (a server-wide cap PgBouncer does not have); the databases closed.
   * Nothing where no pooler stands before the server.
   */
  holdPoolerBudget(budget: number): Promise<string[]>;
  /** Ends those sessions at once, whatever they are doing (a pooler's connections to the database too); returns how many it ended. */
  endSessions(target: TenantDatabaseTarget, openedBefore?: Date): Promise<number>;
  /** The tenant migrations not applied yet, in order; reads only. */
  pendingMigrations(target: TenantDatabaseTarget): Promise<string[]>;
  /** Brings the tenant database to the current tenant-schema version. */
  applySchema(target: TenantDatabaseTarget): Promise<SchemaOutcome>;
  /** The tenant database's schema as its catalog says it is (one catalog query), and the version it records, for drift detection. */
  readSchema(target: TenantDatabaseTarget): Promise<SchemaReading>;
  /**
   * The schema a database at `version` has: a scratch database of environment `env` beside `beside`
   * (same server, same pool) migrated to that version, read, and dropped whatever happened (one left
   * by a process killed meanwhile carries the environment in its name: tenantry_drift_<env>_<random>).
   */
  expectedSchema(version: string, beside: TenantDatabaseTarget, env: string): Promise<SchemaSnapshot>;
  /**
   * Writes a restorable copy of the tenant database, called `name`, where this engine keeps exports
   * (a pg_dump file, a .bacpac blob in a storage container, ...) and returns its location. An engine
   * whose export runs elsewhere for long (Azure's Import/Export service) keeps in `checkpoint` what
   * it needs to follow that export again after a crash, instead of starting a second one.
   */
  exportDatabase(target: TenantDatabaseTarget, name: string, checkpoint?: StepCheckpoint): Promise<string>;
  dropDatabase(target: TenantDatabaseTarget): Promise<void>;
  dropLogin(target: TenantDatabaseTarget): Promise<void>;
  /** BACKUP_MODES of its kind: dumpDatabase writes a `dump` engine's backups. */
  readonly backupMode: BackupMode;
  /** Writes a restorable copy of the tenant database into `file` (a `dump` engine; the others refuse, saying why). */
  dumpDatabase(target: TenantDatabaseTarget, file: string): Promise<void>;
  /**
   * Makes `target` (a database of the tenant, often under another name than the one it is served
   * from) a copy of `source`, on the server `target` names, marked as the tenant's. A database of
   * that name left by an interrupted attempt is dropped and made again; one that is not the
   * tenant's is a TenantDatabaseConflict. Nobody but the engine may connect to it until ensureLogin.
   */
  restoreDatabase(target: TenantDatabaseTarget, source: RestoreSource): Promise<void>;
  /**
   * Signs in to the target database as the tenant's login with `password` and reads its schema
   * version there (null: none recorded): a database the tenant's login cannot open fails here.
   */
  schemaVersionAsTenant(target: TenantDatabaseTarget, password: string): Promise<string | null>;
  /** The tenant's login may no longer connect to this one database, and its sessions there end; returns how many ended. */
  closeDatabase(target: TenantDatabaseTarget): Promise<number>;
  /**
   * Moves the tenant's database into pool `to` of the same server, online and in place, and returns
   * once it is there (at once when it already is). A pool of another server is UnsupportedMove: the
   * database has to be copied there (`replication` where the engine keeps live replicas).
   */
  moveToPool(target: TenantDatabaseTarget, to: PoolAddress): Promise<void>;
  /** Engines that can clone a pre-migrated template or hand out warm spares; absent where they cannot. */
  readonly fastPath?: FastPathEngine;
  /** Engines that move a database to another server as a live replica they then promote (Azure SQL); absent where the move is a copy. */
  readonly replication?: ReplicationEngine;
  /** Engines that copy a tenant database to another of their servers and check the copy (PostgreSQL). */
  readonly relocation?: RelocationEngine;
  close(): Promise<void>;
}

/**
 * A backup file (pg_restore runs `jobs` at once; with `maxBytesPerSecond`, one job whose SQL reaches
 * the server at no more than that), a moment of another database of the tenant kept by the service,
 * or the tenant's database as the service kept it when it was dropped (`dropped`, where it was).
 */
export type RestoreSource =
  { file: string; jobs: number; maxBytesPerSecond?: number } | { pointInTime: Date; from: TenantDatabaseTarget } | { dropped: TenantDatabaseTarget };

/** What a long step keeps on its operation to go on after a crash instead of starting over. */
export interface StepCheckpoint {
  /** What the step saved on an earlier attempt, if anything. */
  readonly saved: string | null;
  /** Replaces what is saved; null forgets it. */
  save(value: string | null): Promise<void>;
}

/**
 * Provisioning shortcuts: a template per schema version, and spare databases claimed by rename.
 * Each prepares the tenant's database out of sight; createDatabase then puts it in place.
 */
export interface FastPathEngine {
  ensureTemplate(env: string): Promise<string>;
  createFromTemplate(target: TenantDatabaseTarget, template: string): Promise<void>;
  /** False when no spare was left. */
  claimSpare(target: TenantDatabaseTarget, env: string): Promise<boolean>;
  refillSpares(env: string, size: number): Promise<number>;
  spareCount(env: string): Promise<number>;
}

/**
 * A database's move to another server by the engine's own replication: `replica` is the same tenant
 * database (same name, login and contents) placed in a pool of another server of the engine. Until
 * promoteReplica, the source serves alone and the move is undone by dropping the replica
 * (dropDatabase(replica)); after it and before routing follows, by failBack first. Every step is
 * idempotent, so a resumed move converges.
 */
export interface ReplicationEngine {
  /** Creates the replica (or finds the one an earlier attempt made); it goes on catching up after this returns. */
  startReplica(source: TenantDatabaseTarget, replica: TenantDatabaseTarget): Promise<void>;
  /** Whether the replica holds what the source does and is kept in step; throws when it is no replica of the source. */
  replicaCaughtUp(source: TenantDatabaseTarget, replica: TenantDatabaseTarget): Promise<boolean>;
  /**
   * The cut-over: makes the replica the primary with nothing lost; the source becomes its read-only
   * secondary at that moment, so writes are refused until routing follows.
   */
  promoteReplica(source: TenantDatabaseTarget, replica: TenantDatabaseTarget): Promise<void>;
  /** Undoes promoteReplica while routing still points at the source: the source is the primary again, nothing lost; nothing to do when it still is. */
  failBack(source: TenantDatabaseTarget, replica: TenantDatabaseTarget): Promise<void>;
  /** Ends the replication so that both stand alone; the source stays, for the retention the caller keeps, and is removed with dropDatabase. */
  endReplication(source: TenantDatabaseTarget, replica: TenantDatabaseTarget): Promise<void>;
}
