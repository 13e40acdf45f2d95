import { Logger } from '@nestjs/common';
import { escapeLiteral, type Pool, type PoolClient } from 'pg';
import { TenantDatabaseConflict } from '../engine-errors';
import type { TenantDatabaseTarget } from '../tenant-database-engine';
import { quoteIdent } from '../tenant-names';
import { withSessionLock } from './session-lock';

const DUPLICATE_DATABASE = '42P04';

type Queryable = Pick<Pool, 'query'>;

interface Found {
  owner: string;
  /** Owned by the role this engine connects as. */
  ownedByUs: boolean;
  marker: string | null;
}

/** What this control plane writes (COMMENT ON DATABASE / ROLE) on what it made for one tenant. */
export function ownershipMarker(tenantId: string): string {
  return `tenantry:tenant=${tenantId}`;
}

/** tenantry_n_<code>_<env>: every tenant database name starts with tenant_, so no tenant database can have one of these. */
function stagingNameOf(target: TenantDatabaseTarget): string {
  return `tenantry_n_${target.databaseName.replace(/^tenant_/, '')}`;
}

/** Why `found` is not the tenant's own; null when it is. A database made before marks existed is accepted where `unmarked` says so. */
function refusal(found: Found, tenantId: string, unmarked: 'refused' | 'accepted'): string | null {
  if (!found.ownedByUs) return `it belongs to role "${found.owner}", not to the role Tenantry creates tenant databases as`;
  if (found.marker === null) return unmarked === 'accepted' ? null : `Tenantry did not create it: it carries no Tenantry mark (owner "${found.owner}")`;
  if (found.marker !== ownershipMarker(tenantId)) return `it is marked "${found.marker}", not as this tenant's`;
  return null;
}

function codeOf(error: unknown): string | undefined {
  return (error as { code?: string }).code;
}

/**
 * Tells the tenant databases and logins this control plane made from ones that merely have their
 * names. A tenant database is made under a staging name, marked with a COMMENT naming its tenant,
 * and only then renamed into place, so one in place without the mark was never made here (a crash
 * leaves at most a staging database, reused once marked, else dropped and made again); a login is
 * created and marked in one transaction. Anything else of a tenant's name is refused, never adopted.
 */
export class TenantOwnership {
  private readonly logger = new Logger(TenantOwnership.name);

  constructor(private readonly pool: Pool) {}

  /**
   * Makes the tenant's database under the staging name (`make` creates it there and says whether
   * it did) and marks it, unless it is in place already or a marked one waits. False when `make`
   * made nothing.
   */
  stage(target: TenantDatabaseTarget, make: (db: PoolClient, name: string) => Promise<boolean>): Promise<boolean> {
    return this.serialized(target, async (db) => (await this.inPlace(target, db)) || (await this.stageOn(db, target, make)) !== null);
  }

  /** Puts the tenant's database in place: the staged one renamed, one made with `make` first if none waits. */
  publish(target: TenantDatabaseTarget, make: (db: PoolClient, name: string) => Promise<void>): Promise<void> {
    return this.serialized(target, async (db) => {
      if (await this.inPlace(target, db)) return;
      await this.stageOn(db, target, async (client, name) => {
        await make(client, name);
        return true;
      });
      try {
        await db.query(`ALTER DATABASE ${quoteIdent(stagingNameOf(target))} RENAME TO ${quoteIdent(target.databaseName)}`);
      } catch (error) {
        // A database of that name appeared since the check, made by someone else: refused by name.
        if (codeOf(error) === DUPLICATE_DATABASE) await this.inPlace(target, db);
        throw error;
      }
    });
  }

  /**
   * Makes database `target.databaseName` afresh with `make` and marks it as the tenant's: one of that
   * name left by an interrupted attempt (the tenant's, or unmarked) is dropped first; anyone else's is
   * a TenantDatabaseConflict, never dropped.
   */
  recreate(target: TenantDatabaseTarget, make: (db: PoolClient) => Promise<void>): Promise<void> {
    return this.serialized(target, async (db) => {
      const found = await this.findDatabase(db, target.databaseName);
      const why = found && refusal(found, target.tenantId, 'accepted');
      if (why) throw new TenantDatabaseConflict(`database "${target.databaseName}" already exists and is not this tenant's: ${why}`);
      if (found) await db.query(`DROP DATABASE IF EXISTS ${quoteIdent(target.databaseName)} WITH (FORCE)`);
      await make(db);
      await db.query(`COMMENT ON DATABASE ${quoteIdent(target.databaseName)} IS ${escapeLiteral(ownershipMarker(target.tenantId))}`);
    });
  }

  /** Drops the tenant's database and any staged one; a database of its name that is anyone else's stays, and the log says whose. */
  dropDatabases(target: TenantDatabaseTarget): Promise<void> {
    return this.serialized(target, async (db) => {
      for (const name of [target.databaseName, stagingNameOf(target)]) {
        const found = await this.findDatabase(db, name);
        const why = found && refusal(found, target.tenantId, 'accepted');
        if (why) this.logger.warn({ tenant_id: target.tenantId }, `kept database "${name}" of the tenant's name: ${why}`);
        else if (found) await db.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
      }
    });
  }

  /** Marks a login just created for the tenant; in the transaction that created it, so it never exists unmarked. */
  async markLogin(db: Queryable, target: TenantDatabaseTarget): Promise<void> {
    await db.query(`COMMENT ON ROLE ${quoteIdent(target.loginName)} IS ${escapeLiteral(ownershipMarker(target.tenantId))}`);
  }

  /** A login of the tenant's name that is not its own (unmarked, or another tenant's) is a TenantDatabaseConflict. */
  async assertOwnLogin(target: TenantDatabaseTarget): Promise<void> {
    const found = await this.findLogin(target);
    if (found?.marker === ownershipMarker(target.tenantId)) return;
    const why = found?.marker ? `it is marked "${found.marker}", not as this tenant's` : 'Tenantry did not create it: it carries no Tenantry mark';
    throw new TenantDatabaseConflict(`login "${target.loginName}" already exists and is not this tenant's: ${why}. Drop or rename that role, then retry the operation`);
  }

  /** Whether the login may be dropped with its tenant: not when another tenant's mark is on it (an unmarked one predates marks). */
  async isDroppableLogin(target: TenantDatabaseTarget): Promise<boolean> {
    const found = await this.findLogin(target);
    if (!found?.marker || found.marker === ownershipMarker(target.tenantId)) return true;
    this.logger.warn({ tenant_id: target.tenantId }, `kept login "${target.loginName}" of the tenant's name: it is marked "${found.marker}"`);
    return false;
  }

  /** True when the tenant's own database is in place, false when there is none; anyone else's is a TenantDatabaseConflict naming it. */
  private async inPlace(target: TenantDatabaseTarget, db: Queryable): Promise<boolean> {
    const found = await this.findDatabase(db, target.databaseName);
    if (!found) return false;
    const why = refusal(found, target.tenantId, 'refused');
    if (why) {
      throw new TenantDatabaseConflict(`database "${target.databaseName}" already exists and is not this tenant's: ${why}. Drop or rename it, then retry the operation`);
    }
    return true;
  }

  /** The staged database's name, made and marked here if none waits; null when `make` made nothing. */
  private async stageOn(db: PoolClient, target: TenantDatabaseTarget, make: (db: PoolClient, name: string) => Promise<boolean>): Promise<string | null> {
    const staging = stagingNameOf(target);
    const found = await this.findDatabase(db, staging);
    if (found && refusal(found, target.tenantId, 'refused') === null) return staging;
    // Anything else there is an attempt a crash interrupted before marking it, or a leftover: it never served anyone.
    if (found) await db.query(`DROP DATABASE IF EXISTS ${quoteIdent(staging)} WITH (FORCE)`);
    if (!(await make(db, staging))) return null;
    await db.query(`COMMENT ON DATABASE ${quoteIdent(staging)} IS ${escapeLiteral(ownershipMarker(target.tenantId))}`);
    return staging;
  }

  private async findDatabase(db: Queryable, name: string): Promise<Found | null> {
    const { rows } = await db.query<Found>(
      `SELECT pg_get_userbyid(d.datdba) AS owner, d.datdba = (SELECT oid FROM pg_roles WHERE rolname = current_user) AS "ownedByUs",
              shobj_description(d.oid, 'pg_database') AS marker
         FROM pg_database d WHERE d.datname = $1`,
      [name],
    );
    return rows[0] ?? null;
  }

  private async findLogin(target: TenantDatabaseTarget): Promise<{ marker: string | null } | null> {
    const { rows } = await this.pool.query<{ marker: string | null }>(`SELECT shobj_description(oid, 'pg_authid') AS marker FROM pg_roles WHERE rolname = $1`, [
      target.loginName,
    ]);
    return rows[0] ?? null;
  }

  private serialized<T>(target: TenantDatabaseTarget, work: (db: PoolClient) => Promise<T>): Promise<T> {
    return withSessionLock(this.pool, `database:${target.databaseName}`, work);
  }
}
