import type { Client } from 'pg';
import type { ChecksumBase, TableChecksum } from '../relocation-engine';
import { quoteIdent } from '../tenant-names';

/** The engine's own schema in a database being moved: never copied, never checksummed, dropped after. */
export const LEDGER_SCHEMA = 'tenantry_move';

// Row text depends on these settings (timestamps, intervals, floats, bytea): the trigger and the
// reads of whole tables use the same ones, whatever the tenant's session set.
const ROW_TEXT_SETTINGS: Array<[string, string]> = [
  ['TimeZone', 'UTC'],
  ['DateStyle', 'ISO, MDY'],
  ['IntervalStyle', 'postgres'],
  ['extra_float_digits', '1'],
  ['bytea_output', 'hex'],
];
const SENTINEL = '';
const LOCK_TIMEOUT_MS = 200;
const LOCK_ATTEMPTS = 50;
const LOCK_NOT_AVAILABLE = '55P03';

/** The whole-table read of a base (and of a move's full check): count and an order-independent sum of each row's hash. */
const TABLE_CHECKSUM_SQL = (table: string) => `SELECT count(*)::text AS rows, coalesce(sum(hashtextextended(t::text, 0)), 0)::text AS checksum FROM ${table} t`;

/** Sets the row-text settings for the rest of the session, so its reads hash rows as the ledger's trigger does. */
export async function useRowTextSettings(client: Client): Promise<void> {
  for (const [name, value] of ROW_TEXT_SETTINGS) await client.query('SELECT set_config($1, $2, false)', [name, value]);
}

/**
 * A checksum ledger (see RelocationEngine.startLedger). An unlogged table, so it costs the tenant's
 * writes no WAL and is never published; a crash empties it, which its sentinel row shows. Each row
 * carries its writer's transaction id: what a base's snapshot already saw is told apart from what
 * came after by pg_visible_in_snapshot. The trigger is SECURITY DEFINER (the tenant's login has no
 * right on the schema) and fires ALWAYS, so logical replication's apply on a target records too.
 */
export class ChecksumLedger {
  async install(client: Client, tables: string[]): Promise<void> {
    const settings = ROW_TEXT_SETTINGS.map(([name, value]) => `SET ${name} = '${value}'`).join(' ');
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${LEDGER_SCHEMA}`);
    await client.query(`REVOKE ALL ON SCHEMA ${LEDGER_SCHEMA} FROM PUBLIC`);
    await client.query(
      `CREATE UNLOGGED TABLE IF NOT EXISTS ${LEDGER_SCHEMA}.ledger (tbl text NOT NULL, xid xid8 NOT NULL DEFAULT pg_current_xact_id(), rows int, checksum numeric)`,
    );
    await client.query(
      `INSERT INTO ${LEDGER_SCHEMA}.ledger (tbl, rows, checksum) SELECT $1, 0, 0 WHERE NOT EXISTS (SELECT 1 FROM ${LEDGER_SCHEMA}.ledger WHERE tbl = $1)`,
      [SENTINEL],
    );
    // A truncate is recorded with no figures: the ledger can no longer tell, and the check reads the whole tables.
    await client.query(
      `CREATE OR REPLACE FUNCTION ${LEDGER_SCHEMA}.record() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog ${settings} AS $$
       DECLARE
         written text := format('%I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME);
       BEGIN
         IF TG_OP = 'TRUNCATE' THEN
           INSERT INTO ${LEDGER_SCHEMA}.ledger (tbl, rows, checksum) VALUES (written, NULL, NULL);
           RETURN NULL;
         END IF;
         IF TG_OP IN ('UPDATE', 'DELETE') THEN
           INSERT INTO ${LEDGER_SCHEMA}.ledger (tbl, rows, checksum) VALUES (written, -1, -(hashtextextended(OLD::text, 0)::numeric));
         END IF;
         IF TG_OP IN ('INSERT', 'UPDATE') THEN
           INSERT INTO ${LEDGER_SCHEMA}.ledger (tbl, rows, checksum) VALUES (written, 1, hashtextextended(NEW::text, 0));
         END IF;
         RETURN NULL;
       END $$`,
    );
    const { rows } = await client.query<{ tbl: string; tgname: string }>(
      `SELECT format('%I.%I', n.nspname, c.relname) AS tbl, g.tgname FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE g.tgname IN ('tenantry_move_rows', 'tenantry_move_truncate')`,
    );
    const has = new Set(rows.map((row) => `${row.tbl} ${row.tgname}`));
    for (const table of tables) {
      for (const [name, events, level] of [
        ['tenantry_move_rows', 'INSERT OR UPDATE OR DELETE', 'ROW'],
        ['tenantry_move_truncate', 'TRUNCATE', 'STATEMENT'],
      ]) {
        if (has.has(`${table} ${name}`)) continue;
        // One table and one short lock at a time: a trigger's DDL waits for the table's writers, and
        // writers queue behind it, so it gives way after a moment rather than hold the tenant's writes.
        await this.briefly(client, [
          `CREATE TRIGGER ${quoteIdent(name)} AFTER ${events} ON ${table} FOR EACH ${level} EXECUTE FUNCTION ${LEDGER_SCHEMA}.record()`,
          `ALTER TABLE ${table} ENABLE ALWAYS TRIGGER ${quoteIdent(name)}`,
        ]);
      }
    }
  }

  /** Must run in a REPEATABLE READ transaction with the row-text settings: the checksums and the snapshot are then one moment. */
  async base(client: Client, tables: string[]): Promise<ChecksumBase> {
    const { rows } = await client.query<{ snapshot: string }>('SELECT pg_current_snapshot()::text AS snapshot');
    const checksums: TableChecksum[] = [];
    for (const table of tables) {
      const read = await client.query<{ rows: string; checksum: string }>(TABLE_CHECKSUM_SQL(table));
      checksums.push({ table, rows: Number(read.rows[0].rows), checksum: read.rows[0].checksum });
    }
    return { snapshot: rows[0].snapshot, tables: checksums };
  }

  async checksums(client: Client, tables: string[], base: ChecksumBase): Promise<TableChecksum[] | null> {
    if (!sameTables(tables, base.tables)) return null;
    const { rows: present } = await client.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [LEDGER_SCHEMA]);
    if (!present.length) return null;
    const { rows } = await client.query<{ tbl: string; rows: string | null; checksum: string | null; unknown: boolean }>(
      `SELECT tbl, sum(rows)::text AS rows, sum(checksum)::text AS checksum, bool_or(rows IS NULL) AS unknown
         FROM ${LEDGER_SCHEMA}.ledger WHERE tbl = $2 OR NOT pg_visible_in_snapshot(xid, $1::pg_snapshot) GROUP BY tbl`,
      [base.snapshot, SENTINEL],
    );
    if (!rows.some((row) => row.tbl === SENTINEL) || rows.some((row) => row.unknown)) return null;
    const since = new Map(rows.map((row) => [row.tbl, row]));
    return base.tables.map(({ table, rows: count, checksum }) => {
      const delta = since.get(table);
      return delta
        ? { table, rows: count + Number(delta.rows), checksum: (BigInt(checksum) + BigInt(delta.checksum ?? '0')).toString() }
        : { table, rows: count, checksum };
    });
  }

  async drop(client: Client): Promise<void> {
    await this.briefly(client, [`DROP SCHEMA IF EXISTS ${LEDGER_SCHEMA} CASCADE`]);
  }

  private async briefly(client: Client, statements: string[]): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await client.query('BEGIN');
        await client.query(`SET LOCAL lock_timeout = ${LOCK_TIMEOUT_MS}`);
        for (const statement of statements) await client.query(statement);
        await client.query('COMMIT');
        return;
      } catch (error) {
        await client.query('ROLLBACK');
        if ((error as { code?: string }).code !== LOCK_NOT_AVAILABLE || attempt >= LOCK_ATTEMPTS) throw error;
        // A vacuum of freshly copied rows holds a table for as long as it reads it. PostgreSQL cancels an
        // autovacuum that blocks a lock request for deadlock_timeout; these requests give up sooner, so
        // they do the same (never one that prevents wraparound, which PostgreSQL does not cancel either).
        await client.query(
          `SELECT pg_cancel_backend(pid) FROM pg_stat_activity
            WHERE backend_type = 'autovacuum worker' AND datname = current_database() AND query NOT LIKE '%to prevent wraparound%'`,
        );
        await new Promise((resolve) => setTimeout(resolve, LOCK_TIMEOUT_MS * Math.min(attempt, 5)));
      }
    }
  }
}

function sameTables(tables: string[], base: TableChecksum[]): boolean {
  return tables.length === base.length && base.every((checksum, i) => checksum.table === tables[i]);
}
