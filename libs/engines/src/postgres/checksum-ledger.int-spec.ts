import { provisionTenant, usePostgresEngine } from '@tenantry/engines/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import type { TenantDatabaseTarget } from '../tenant-database-engine';

/**
 * A move's checksum ledger on a real server: a base read once plus what the ledger recorded since
 * gives what reading every row gives, whoever writes and in whatever session settings, and says
 * when it cannot tell.
 */
describe('checksum ledger (real server)', () => {
  const fixture = usePostgresEngine();
  const opened: Client[] = [];

  afterAll(async () => {
    await Promise.all(opened.map((client) => client.end().catch(() => undefined)));
  });

  /** A session as the tenant's own login, with a time zone of its own: the rows' text must not depend on it. */
  async function asTenant(t: TenantDatabaseTarget): Promise<Client> {
    const url = new URL(fixture.env().databaseUrl(t.databaseName));
    const client = new Client({ host: url.hostname, port: Number(url.port), database: t.databaseName, user: t.loginName, options: '-c TimeZone=Asia/Tokyo' });
    client.on('error', () => undefined);
    await client.connect();
    opened.push(client);
    return client;
  }

  async function tenant(code: string): Promise<{ t: TenantDatabaseTarget; session: Client }> {
    const t = fixture.target(code);
    await provisionTenant(fixture.engine(), t, `pw-${code}`);
    const session = await asTenant(t);
    await session.query(`INSERT INTO customers (name, email) SELECT 'c' || i, 'c' || i || '@example.com' FROM generate_series(1, 200) i`);
    await session.query(`INSERT INTO orders (customer_id, total_cents) SELECT id, 100 FROM customers`);
    return { t, session };
  }

  it('base plus ledger equals a full read after inserts, updates and deletes by the tenant login, and the ledger goes without a trace', async () => {
    const relocation = fixture.engine().relocation;
    const { t, session } = await tenant('ledgered');
    await relocation.startLedger(t);
    await relocation.startLedger(t);
    const base = await relocation.ledgerBase(t);

    await session.query(`INSERT INTO customers (name) SELECT 'late' || i FROM generate_series(1, 50) i`);
    await session.query(`UPDATE orders SET total_cents = total_cents + 1, created_at = now() WHERE total_cents = 100 AND number % 3 = 0`);
    await session.query(`DELETE FROM orders WHERE number % 7 = 0`);
    await session.query('BEGIN');
    await session.query(`INSERT INTO customers (name) VALUES ('rolled back')`);
    await session.query('ROLLBACK');

    const full = await relocation.tableChecksums(t);
    expect(full.find((table) => table.table === 'public.customers')).toMatchObject({ rows: 250 });
    expect(await relocation.ledgerChecksums(t, base)).toEqual(full);
    expect(await relocation.ledgerChecksums(t, base)).not.toEqual(base.tables);

    await relocation.dropLedger(t);
    const left = await fixture
      .env()
      .sql<{ n: number }>(
        `SELECT (SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'tenantry_move%')::int + (SELECT count(*) FROM pg_namespace WHERE nspname = 'tenantry_move')::int AS n`,
        [],
        t.databaseName,
      );
    expect(left[0].n).toBe(0);
    expect(await relocation.ledgerChecksums(t, base)).toBeNull();
  });

  it('a write in flight while the base is read counts once: in the base if it committed before, in the ledger if after', async () => {
    const relocation = fixture.engine().relocation;
    const { t, session } = await tenant('inflight');
    await relocation.startLedger(t);
    await session.query('BEGIN');
    await session.query(`INSERT INTO customers (name) VALUES ('in flight')`);
    const base = await relocation.ledgerBase(t);
    await session.query('COMMIT');
    expect(await relocation.ledgerChecksums(t, base)).toEqual(await relocation.tableChecksums(t));
  });

  it('cannot tell after a truncate, or once a crash emptied the ledger: null, so the caller reads every row', async () => {
    const relocation = fixture.engine().relocation;
    const { t } = await tenant('emptied');
    await relocation.startLedger(t);
    const base = await relocation.ledgerBase(t);
    await fixture.env().sql('DELETE FROM tenantry_move.ledger', [], t.databaseName);
    expect(await relocation.ledgerChecksums(t, base)).toBeNull();

    await relocation.dropLedger(t);
    await relocation.startLedger(t);
    const again = await relocation.ledgerBase(t);
    await fixture.env().sql('TRUNCATE order_lines', [], t.databaseName);
    expect(await relocation.ledgerChecksums(t, again)).toBeNull();
  });

  it('a table another session holds for a moment: the ledger waits in short tries, then installs', async () => {
    const relocation = fixture.engine().relocation;
    const { t, session } = await tenant('locked');
    await session.query('BEGIN');
    await session.query('LOCK TABLE orders IN SHARE UPDATE EXCLUSIVE MODE');
    const installing = relocation.startLedger(t);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await session.query('COMMIT');
    await installing;
    const triggers = await fixture.env().sql(`SELECT tgname FROM pg_trigger WHERE tgname LIKE 'tenantry_move%' AND tgrelid = 'orders'::regclass`, [], t.databaseName);
    expect(triggers).toHaveLength(2);
  });

  it("a backup taken during a move restores without the move's ledger", async () => {
    const engine = fixture.engine();
    const { t } = await tenant('backedup');
    await engine.relocation.startLedger(t);
    const dir = mkdtempSync(join(tmpdir(), 'tenantry-ledger-'));
    try {
      await engine.dumpDatabase(t, join(dir, 'during-move.dump'));
      const restored = { ...t, databaseName: `tenantry_r_00000004_${fixture.env().label}_ledger` };
      await engine.restoreDatabase(restored, { file: join(dir, 'during-move.dump'), jobs: 1 });
      const left = await fixture.env().sql(`SELECT tgname FROM pg_trigger WHERE tgname LIKE 'tenantry_move%'`, [], restored.databaseName);
      expect(left).toEqual([]);
      expect(await engine.relocation.tableChecksums(restored)).toEqual(await engine.relocation.tableChecksums(t));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the tenant login can neither read nor change the ledger', async () => {
    const relocation = fixture.engine().relocation;
    const { t, session } = await tenant('nosy');
    await relocation.startLedger(t);
    await expect(session.query('DELETE FROM tenantry_move.ledger')).rejects.toThrow(/permission denied/);
    await expect(session.query('SELECT * FROM tenantry_move.ledger')).rejects.toThrow(/permission denied/);
  });
});
