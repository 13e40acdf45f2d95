import { type Client, escapeLiteral, type Pool } from 'pg';
import type { ChecksumBase, RelocationEngine, SequenceValue, TableChecksum } from '../relocation-engine';
import type { TenantDatabaseTarget } from '../tenant-database-engine';
import { quoteIdent } from '../tenant-names';
import { ChecksumLedger, LEDGER_SCHEMA, useRowTextSettings } from './checksum-ledger';
import { pipe } from './client-pipe';
import { withPasswordFile } from './pg-dump-files';

// The engine's own: the pooler's lookup (ensureLogin, on every server that has a pooler) and a move's ledger. Never copied.
const ENGINE_SCHEMAS = ['tenantry_pooler', LEDGER_SCHEMA];
const USER_TABLES = `SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables
  WHERE schemaname NOT IN ('pg_catalog', 'information_schema') AND schemaname <> ALL($1) ORDER BY 1`;

/**
 * Moving a tenant database between PostgreSQL servers: the schema by pg_dump, the rows by logical
 * replication (a publication in the source, a subscription in the target, whose slot lives in the
 * source) or, where the source's wal_level is not logical, by a dump restored while the tenant is
 * read-only. Replication objects are named by the caller (one name per move), so each step can
 * look for what an earlier, interrupted run of it made.
 */
export class PostgresRelocation implements RelocationEngine {
  private readonly ledger = new ChecksumLedger();

  constructor(
    private readonly pool: Pool,
    readonly urlFor: (database: string) => string,
    private readonly inDatabase: <T>(target: TenantDatabaseTarget, work: (client: Client) => Promise<T>) => Promise<T>,
  ) {}

  async logicalReplicationAvailable(): Promise<boolean> {
    const { rows } = await this.pool.query<{ wal_level: string }>('SHOW wal_level');
    return rows[0].wal_level === 'logical';
  }

  /** The schema only, applied as one implicit transaction: all or nothing, and nothing again once the target has tables. */
  async copySchema(source: TenantDatabaseTarget, from: RelocationEngine, target: TenantDatabaseTarget): Promise<void> {
    if ((await this.tableNames(target)).length > 0) return;
    await this.transfer(asPostgres(from).urlFor(source.databaseName), ['--schema-only', '--no-publications', '--no-subscriptions'], target);
  }

  /** The rows of a frozen source, restored in one transaction; nothing when the target already has rows. */
  async copyData(source: TenantDatabaseTarget, from: RelocationEngine, target: TenantDatabaseTarget): Promise<void> {
    if (await this.hasRows(target)) return;
    await this.transfer(asPostgres(from).urlFor(source.databaseName), ['--data-only', '--disable-triggers'], target);
  }

  async publish(source: TenantDatabaseTarget, name: string): Promise<void> {
    await this.inDatabase(source, async (client) => {
      const { rowCount } = await client.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [name]);
      if (!rowCount) await client.query(`CREATE PUBLICATION ${quoteIdent(name)} FOR ALL TABLES`);
    });
  }

  /** The subscription copies every table, then applies the source's changes as they commit. */
  async subscribe(target: TenantDatabaseTarget, name: string, from: RelocationEngine, source: TenantDatabaseTarget): Promise<void> {
    const conninfo = asPostgres(from).conninfo(source.databaseName);
    await this.inDatabase(target, async (client) => {
      if (await this.subscriptionExists(client, name)) return;
      await client.query(`CREATE SUBSCRIPTION ${quoteIdent(name)} CONNECTION ${escapeLiteral(conninfo)} PUBLICATION ${quoteIdent(name)}`);
    });
  }

  /** True once every table's initial copy is done and the subscription streams changes. */
  async initialCopyDone(target: TenantDatabaseTarget, name: string): Promise<boolean> {
    return this.inDatabase(target, async (client) => {
      const { rows } = await client.query<{ waiting: number; tables: number }>(
        `SELECT count(*) FILTER (WHERE r.srsubstate <> 'r')::int AS waiting, count(*)::int AS tables
           FROM pg_subscription s JOIN pg_subscription_rel r ON r.srsubid = s.oid WHERE s.subname = $1`,
        [name],
      );
      return rows[0].tables > 0 && rows[0].waiting === 0;
    });
  }

  /** Bytes of the source's WAL the subscription has not confirmed; null when its slot is gone. */
  async replicationLag(name: string): Promise<number | null> {
    const { rows } = await this.pool.query<{ lag: string | null }>(
      `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::text AS lag FROM pg_replication_slots WHERE slot_name = $1`,
      [name],
    );
    return rows[0]?.lag == null ? null : Number(rows[0].lag);
  }

  async currentPosition(): Promise<string> {
    const { rows } = await this.pool.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    return rows[0].lsn;
  }

  /** Whether the subscription has confirmed the source's WAL up to `position`. */
  async replicatedTo(name: string, position: string): Promise<boolean> {
    const { rows } = await this.pool.query<{ done: boolean }>(`SELECT confirmed_flush_lsn >= $2::pg_lsn AS done FROM pg_replication_slots WHERE slot_name = $1`, [
      name,
      position,
    ]);
    return rows[0]?.done === true;
  }

  async receivedTo(target: TenantDatabaseTarget, name: string, position: string): Promise<boolean> {
    return this.inDatabase(target, async (client) => {
      const { rows } = await client.query<{ done: boolean }>(`SELECT received_lsn >= $2::pg_lsn AS done FROM pg_stat_subscription WHERE subname = $1 AND relid IS NULL`, [
        name,
        position,
      ]);
      return rows[0]?.done === true;
    });
  }

  /**
   * Disabled and detached from its slot first, so the drop needs no connection to the source (which
   * may be gone); the slot is dropped on the source by dropPublication.
   */
  async dropSubscription(target: TenantDatabaseTarget, name: string): Promise<void> {
    if (!(await this.databaseExists(target.databaseName))) return;
    await this.inDatabase(target, async (client) => {
      if (!(await this.subscriptionExists(client, name))) return;
      const subscription = quoteIdent(name);
      await client.query(`ALTER SUBSCRIPTION ${subscription} DISABLE`);
      await client.query(`ALTER SUBSCRIPTION ${subscription} SET (slot_name = NONE)`);
      await client.query(`DROP SUBSCRIPTION ${subscription}`);
    });
  }

  /** The publication and the subscription's slot: a slot left behind would keep the source's WAL forever. */
  async dropPublication(source: TenantDatabaseTarget, name: string): Promise<void> {
    // The subscriber reconnects at once after its walsender ends: until the drop wins, end it again.
    for (let attempt = 1; ; attempt += 1) {
      await this.pool.query('SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1 AND active_pid IS NOT NULL', [name]);
      try {
        await this.pool.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [name]);
        break;
      } catch (error) {
        // object_in_use: the walsender came back before the drop.
        if ((error as { code?: string }).code !== '55006' || attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    if (!(await this.databaseExists(source.databaseName))) return;
    await this.inDatabase(source, async (client) => {
      // The source is frozen (read-only by default) by now; this session is the control plane's, not the tenant's.
      await client.query('SET default_transaction_read_only = off');
      await client.query(`DROP PUBLICATION IF EXISTS ${quoteIdent(name)}`);
    });
  }

  /** New transactions in the database are read-only (or not); returns when, by the server's clock, so sessions older than that can be ended. */
  async setReadOnly(target: TenantDatabaseTarget, readOnly: boolean): Promise<Date> {
    const database = quoteIdent(target.databaseName);
    await this.pool.query(
      readOnly ? `ALTER DATABASE ${database} SET default_transaction_read_only = on` : `ALTER DATABASE ${database} RESET default_transaction_read_only`,
    );
    const { rows } = await this.pool.query<{ at: Date }>('SELECT clock_timestamp() AS at');
    return rows[0].at;
  }

  /** Row count and an order-independent checksum of every row's text, per table, in one snapshot. */
  async tableChecksums(target: TenantDatabaseTarget): Promise<TableChecksum[]> {
    return (await this.inSnapshot(target, (client, tables) => this.ledger.base(client, tables))).tables;
  }

  async startLedger(target: TenantDatabaseTarget): Promise<void> {
    await this.inDatabase(target, async (client) => this.ledger.install(client, await this.tableNames(target, client)));
  }

  ledgerBase(target: TenantDatabaseTarget): Promise<ChecksumBase> {
    return this.inSnapshot(target, (client, tables) => this.ledger.base(client, tables));
  }

  ledgerChecksums(target: TenantDatabaseTarget, base: ChecksumBase): Promise<TableChecksum[] | null> {
    return this.inDatabase(target, async (client) => this.ledger.checksums(client, await this.tableNames(target, client), base));
  }

  /** A frozen source is read-only by default; this session is the control plane's, not the tenant's. */
  async dropLedger(target: TenantDatabaseTarget): Promise<void> {
    if (!(await this.databaseExists(target.databaseName))) return;
    await this.inDatabase(target, async (client) => {
      await client.query('SET default_transaction_read_only = off');
      await this.ledger.drop(client);
    });
  }

  /** `work` in one REPEATABLE READ snapshot, rows read as text the way the ledger's trigger reads them. */
  private inSnapshot<T>(target: TenantDatabaseTarget, work: (client: Client, tables: string[]) => Promise<T>): Promise<T> {
    return this.inDatabase(target, async (client) => {
      await useRowTextSettings(client);
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        return await work(client, await this.tableNames(target, client));
      } finally {
        await client.query('COMMIT');
      }
    });
  }

  async sequences(target: TenantDatabaseTarget): Promise<SequenceValue[]> {
    return this.inDatabase(target, async (client) => {
      const { rows } = await client.query<SequenceValue>(
        `SELECT format('%I.%I', schemaname, sequencename) AS sequence, last_value::text AS "lastValue"
           FROM pg_sequences WHERE last_value IS NOT NULL AND schemaname <> ALL($1) ORDER BY 1`,
        [ENGINE_SCHEMAS],
      );
      return rows;
    });
  }

  async setSequences(target: TenantDatabaseTarget, values: SequenceValue[]): Promise<void> {
    if (values.length === 0) return;
    await this.inDatabase(target, async (client) => {
      for (const { sequence, lastValue } of values) await client.query('SELECT setval($1::regclass, $2::bigint, true)', [sequence, lastValue]);
    });
  }

  /** libpq's key=value form of the admin URL, for a subscription on another server to reach this one. */
  private conninfo(database: string): string {
    const url = new URL(this.urlFor(database));
    const value = (text: string) => `'${text.replace(/[\\']/g, (c) => `\\${c}`)}'`;
    const parts: Array<[string, string]> = [
      ['host', url.hostname],
      ['port', url.port || '5432'],
      ['dbname', database],
      ['user', decodeURIComponent(url.username)],
    ];
    if (url.password) parts.push(['password', decodeURIComponent(url.password)]);
    const sslmode = url.searchParams.get('sslmode');
    if (sslmode) parts.push(['sslmode', sslmode]);
    return parts.map(([key, text]) => `${key}=${value(text)}`).join(' ');
  }

  /** pg_dump of the source piped into psql on the target, in one transaction; any size, nothing held in memory. */
  private async transfer(sourceUrl: string, args: string[], target: TenantDatabaseTarget): Promise<void> {
    const excluded = ENGINE_SCHEMAS.map((schema) => `--exclude-schema=${schema}`);
    await withPasswordFile(sourceUrl, (from) =>
      withPasswordFile(this.urlFor(target.databaseName), (to) =>
        pipe(
          ['pg_dump', ...args, '--format=plain', '--no-owner', '--no-acl', ...excluded, '--dbname', from],
          ['psql', '--quiet', '--no-psqlrc', '--single-transaction', '-v', 'ON_ERROR_STOP=1', '--dbname', to],
        ),
      ),
    );
  }

  private async tableNames(target: TenantDatabaseTarget, client?: Client): Promise<string[]> {
    const list = async (c: Client) => (await c.query<{ name: string }>(USER_TABLES, [ENGINE_SCHEMAS])).rows.map((row) => row.name);
    return client ? list(client) : this.inDatabase(target, list);
  }

  private async hasRows(target: TenantDatabaseTarget): Promise<boolean> {
    return this.inDatabase(target, async (client) => {
      for (const table of await this.tableNames(target, client)) {
        if ((await client.query(`SELECT 1 FROM ${table} LIMIT 1`)).rowCount) return true;
      }
      return false;
    });
  }

  private async subscriptionExists(client: Client, name: string): Promise<boolean> {
    const { rowCount } = await client.query(
      'SELECT 1 FROM pg_subscription WHERE subname = $1 AND subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())',
      [name],
    );
    return Boolean(rowCount);
  }

  private async databaseExists(name: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    return Boolean(rowCount);
  }
}

function asPostgres(engine: RelocationEngine): PostgresRelocation {
  if (!(engine instanceof PostgresRelocation)) throw new Error('a PostgreSQL database moves only to and from PostgreSQL servers');
  return engine;
}
