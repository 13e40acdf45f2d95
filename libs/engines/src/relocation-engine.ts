import type { TenantDatabaseTarget } from './tenant-database-engine';

export interface TableChecksum {
  /** Schema-qualified and quoted, as the engine names it. */
  table: string;
  rows: number;
  /** Order-independent: the same rows give the same checksum on any server of the engine. */
  checksum: string;
}

/** Every table's checksum in one snapshot of a database, and that snapshot: the start of its checksum ledger. */
export interface ChecksumBase {
  snapshot: string;
  tables: TableChecksum[];
}

export interface SequenceValue {
  sequence: string;
  lastValue: string;
}

/**
 * What moving a tenant database to another server of the same engine needs of that engine, and
 * what a switchover checks before it points the tenant elsewhere. Each method is idempotent; the
 * names given (publication, subscription) are the caller's, one per move, so an interrupted step
 * finds what it made. Engines that move databases otherwise (Azure SQL's own pool move) leave it out.
 */
export interface RelocationEngine {
  /** Whether this server can stream a database's changes to another one (PostgreSQL: wal_level = logical). */
  logicalReplicationAvailable(): Promise<boolean>;
  /** Called on the target's engine: `target` gets the schema of `source`, which `from` serves. */
  copySchema(source: TenantDatabaseTarget, from: RelocationEngine, target: TenantDatabaseTarget): Promise<void>;
  /** Called on the target's engine: the rows of a source that takes no writes (the offline path). */
  copyData(source: TenantDatabaseTarget, from: RelocationEngine, target: TenantDatabaseTarget): Promise<void>;
  /** Source side: every table's changes published under `name`. */
  publish(source: TenantDatabaseTarget, name: string): Promise<void>;
  /** Target side: subscribed to the source's publication `name`, copying its rows first. */
  subscribe(target: TenantDatabaseTarget, name: string, from: RelocationEngine, source: TenantDatabaseTarget): Promise<void>;
  initialCopyDone(target: TenantDatabaseTarget, name: string): Promise<boolean>;
  /** Source side: how far (bytes of log) the subscription `name` is behind; null when it has no slot. */
  replicationLag(name: string): Promise<number | null>;
  /** Source side: the log position now, for replicatedTo. */
  currentPosition(): Promise<string>;
  replicatedTo(name: string, position: string): Promise<boolean>;
  /**
   * Target side: whether the subscription `name` has received the source's log up to `position`.
   * Sooner than the source's confirmation (which waits for the subscriber's next status report, about
   * a second when idle); it may count the change being applied as done, so the caller checks the rows.
   */
  receivedTo(target: TenantDatabaseTarget, name: string, position: string): Promise<boolean>;
  /** Target side; nothing when the database or subscription is gone. */
  dropSubscription(target: TenantDatabaseTarget, name: string): Promise<void>;
  /** Source side: the publication and the subscription's slot. */
  dropPublication(source: TenantDatabaseTarget, name: string): Promise<void>;
  /** New transactions are read-only (or not again); returns when, by the server's clock. Open sessions are the caller's to end. */
  setReadOnly(target: TenantDatabaseTarget, readOnly: boolean): Promise<Date>;
  tableChecksums(target: TenantDatabaseTarget): Promise<TableChecksum[]>;
  /**
   * A checksum ledger in the database: every row written from now on (by a client or by replication)
   * adds its count and checksum to a table of the engine's own, so the checksums of a later moment
   * are a base taken once plus what the ledger holds since (`ledgerChecksums`), not a read of every row.
   */
  startLedger(target: TenantDatabaseTarget): Promise<void>;
  /** Every table's checksum and the snapshot they were read in; a full read, taken while the tenant is served. */
  ledgerBase(target: TenantDatabaseTarget): Promise<ChecksumBase>;
  /** `base` plus the ledger's rows since; null when the ledger cannot tell (gone, emptied by a crash, a table truncated or added). */
  ledgerChecksums(target: TenantDatabaseTarget, base: ChecksumBase): Promise<TableChecksum[] | null>;
  /** The ledger and its triggers gone; nothing when the database is gone. */
  dropLedger(target: TenantDatabaseTarget): Promise<void>;
  /** Sequences that have handed out a value: logical replication does not carry them. */
  sequences(target: TenantDatabaseTarget): Promise<SequenceValue[]>;
  setSequences(target: TenantDatabaseTarget, values: SequenceValue[]): Promise<void>;
}
