import { createHash, randomBytes } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import type { TenantDatabaseTarget } from '../tenant-database-engine';
import { quoteIdent } from '../tenant-names';
import { withSessionLock } from './session-lock';
import type { TenantOwnership } from './tenant-ownership';

const STILL_IN_USE = '55006';
const NO_SUCH_DATABASE = '3D000';

function codeOf(error: unknown): string | undefined {
  return (error as { code?: string }).code;
}

/**
 * A new database lets PUBLIC connect (a copy does not inherit its template's grants): a tenant
 * login holding a session in a template being built or in a spare would make its rename fail.
 */
async function closeToPublic(db: PoolClient, database: string): Promise<void> {
  await db.query(`REVOKE CONNECT, TEMPORARY ON DATABASE ${quoteIdent(database)} FROM PUBLIC`);
}

/**
 * The fast paths of provisioning on PostgreSQL: a template database per tenant-schema version
 * (a tenant is then `CREATE DATABASE ... TEMPLATE`), and a warm pool of spare clones that a new
 * tenant claims with a rename. Templates refuse connections, so no session ever holds one open
 * when it is cloned; an old version's template and spares are dropped when a new one is built.
 */
export class PostgresTemplates {
  constructor(
    private readonly pool: Pool,
    private readonly ownership: TenantOwnership,
    private readonly migrate: (database: string) => Promise<void>,
    private readonly version: string,
  ) {}

  templateName(env: string): string {
    return `tenantry_tpl_${env}_${this.versionTag()}`;
  }

  /** The ready template for the current schema version, built first if missing. */
  async ensureTemplate(env: string): Promise<string> {
    const name = this.templateName(env);
    if (await this.isReadyTemplate(name)) return name;
    return withSessionLock(this.pool, `template:${env}`, async (db) => {
      if (await this.isReadyTemplate(name, db)) return name;
      const building = `${name}_build`;
      await db.query(`DROP DATABASE IF EXISTS ${quoteIdent(building)} WITH (FORCE)`);
      await db.query(`CREATE DATABASE ${quoteIdent(building)}`);
      await closeToPublic(db, building);
      await this.migrate(building);
      // Published only once complete: the rename is atomic, and a ready template refuses connections.
      await db.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
      await db.query(`ALTER DATABASE ${quoteIdent(building)} RENAME TO ${quoteIdent(name)}`);
      await db.query(`ALTER DATABASE ${quoteIdent(name)} WITH ALLOW_CONNECTIONS false IS_TEMPLATE true`);
      await this.dropOtherVersions(env, db);
      return name;
    });
  }

  /** Stages the tenant's database as a clone of the template; createDatabase puts it in place. */
  async createFromTemplate(target: TenantDatabaseTarget, template: string): Promise<void> {
    await this.ownership.stage(target, async (db, name) => {
      await db.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE ${quoteIdent(template)}`);
      return true;
    });
  }

  /** Stages a spare of the current version as the tenant's database by renaming it; false when none is left. */
  claimSpare(target: TenantDatabaseTarget, env: string): Promise<boolean> {
    return this.ownership.stage(target, async (db, name) => {
      for (const spare of await this.spares(env, db)) {
        try {
          await db.query(`ALTER DATABASE ${quoteIdent(spare)} RENAME TO ${quoteIdent(name)}`);
          return true;
        } catch (error) {
          // Another worker renamed it first, or it is still being created: try the next one.
          if (codeOf(error) === NO_SUCH_DATABASE || codeOf(error) === STILL_IN_USE) continue;
          throw error;
        }
      }
      return false;
    });
  }

  async spareCount(env: string): Promise<number> {
    return (await this.spares(env)).length;
  }

  /** Tops the warm pool up to `size` spares; one refiller at a time, others return at once. */
  async refillSpares(env: string, size: number): Promise<number> {
    const template = await this.ensureTemplate(env);
    const created = await withSessionLock(
      this.pool,
      `spares:${env}`,
      async (db) => {
        // A spare half-made by a crashed refiller (still named *_b) is never claimed: drop it.
        const { rows: leftovers } = await db.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE starts_with(datname, $1) AND datname ~ '_b$'`, [
          this.sparePrefix(env),
        ]);
        for (const { datname } of leftovers) await db.query(`DROP DATABASE IF EXISTS ${quoteIdent(datname)} WITH (FORCE)`);
        let made = 0;
        for (let count = await this.spareCount(env); count < size; count += 1) {
          const building = `${this.sparePrefix(env)}${randomBytes(4).toString('hex')}_b`;
          await db.query(`CREATE DATABASE ${quoteIdent(building)} TEMPLATE ${quoteIdent(template)}`);
          await closeToPublic(db, building);
          await db.query(`ALTER DATABASE ${quoteIdent(building)} RENAME TO ${quoteIdent(building.slice(0, -2))}`);
          made += 1;
        }
        return made;
      },
      { wait: false },
    );
    return created ?? 0;
  }

  /** `db`: the connection already in hand, so a caller holding one never waits for a second. */
  private async spares(env: string, db: Pool | PoolClient = this.pool): Promise<string[]> {
    const { rows } = await db.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE starts_with(datname, $1) AND datname !~ '_b$' ORDER BY datname`, [
      this.sparePrefix(env),
    ]);
    return rows.map((row) => row.datname);
  }

  private sparePrefix(env: string): string {
    return `tenantry_spare_${env}_${this.versionTag()}_`;
  }

  private versionTag(): string {
    return createHash('sha256').update(this.version).digest('hex').slice(0, 10);
  }

  private async isReadyTemplate(name: string, db: Pool | PoolClient = this.pool): Promise<boolean> {
    const { rows } = await db.query<{ datistemplate: boolean }>('SELECT datistemplate FROM pg_database WHERE datname = $1', [name]);
    return rows[0]?.datistemplate === true;
  }

  private async dropOtherVersions(env: string, db: PoolClient): Promise<void> {
    const { rows } = await db.query<{ datname: string }>(
      `SELECT datname FROM pg_database
        WHERE (starts_with(datname, $1) OR starts_with(datname, $2)) AND datname <> $3 AND NOT starts_with(datname, $4)`,
      [`tenantry_tpl_${env}_`, `tenantry_spare_${env}_`, this.templateName(env), this.sparePrefix(env)],
    );
    for (const { datname } of rows) {
      await db.query(`ALTER DATABASE ${quoteIdent(datname)} WITH IS_TEMPLATE false`);
      await db.query(`DROP DATABASE IF EXISTS ${quoteIdent(datname)} WITH (FORCE)`);
    }
  }
}
