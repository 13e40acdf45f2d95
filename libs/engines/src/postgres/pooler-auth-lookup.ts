import type { Client, Pool } from 'pg';
import { quoteIdent } from '../tenant-names';
import { onceUntilFailure } from './once-until-failure';

/** The role PgBouncer's auth_user runs auth_query as (scripts/pgbouncer/pgbouncer.ini). */
export const POOLER_LOOKUP_ROLE = 'tenantry_pooler_lookup';

// Duplicate role, or a unique violation on the catalog when two sessions create it at once.
const LOST_RACE = new Set(['42710', '23505']);

/**
 * What lets PgBouncer authenticate tenant logins without a password file: a dedicated lookup role
 * and, in each tenant database (PgBouncer 1.18 runs auth_query in the database being connected to,
 * https://www.pgbouncer.org/config.html#auth_query), a SECURITY DEFINER function that reads one
 * login's SCRAM secret from pg_authid, as the PgBouncer docs recommend over giving the lookup role
 * superuser rights (https://www.pgbouncer.org/config.html#auth_user).
 *
 * The function answers only for a login that may connect to the database it runs in and is not a
 * superuser, so the lookup role can never read another tenant's secret, nor an administrator's, and
 * a tenant's login authenticates at the pooler for its own database only. A disabled login
 * (suspension: NOLOGIN) or an expired one gets no row, so PgBouncer refuses it at once.
 */
export class PoolerAuthLookup {
  constructor(private readonly pool: Pool) {}

  /** Once per process (again after a failure): the lookup role, LOGIN with no rights of its own. */
  readonly ensureRole = onceUntilFailure(() => this.createRole());

  /** Whether this tenant database already has the lookup and the lookup role may connect to it (a fleet run asks every tenant). */
  async installed(client: Client): Promise<boolean> {
    const { rows } = await client.query<{ installed: boolean }>(
      `SELECT CASE WHEN to_regprocedure('tenantry_pooler.login_secret(text)') IS NULL OR NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) THEN false
              ELSE has_database_privilege($1, current_database(), 'CONNECT') END AS installed`,
      [POOLER_LOOKUP_ROLE],
    );
    return rows[0].installed;
  }

  /** In the tenant database, as a superuser, once the role exists: the lookup function and the lookup role's right to call it (CONNECT is granted apart). */
  async install(client: Client): Promise<void> {
    const role = quoteIdent(POOLER_LOOKUP_ROLE);
    await client.query('CREATE SCHEMA IF NOT EXISTS tenantry_pooler');
    await client.query('REVOKE ALL ON SCHEMA tenantry_pooler FROM PUBLIC');
    await client.query(`GRANT USAGE ON SCHEMA tenantry_pooler TO ${role}`);
    await client.query(`
      CREATE OR REPLACE FUNCTION tenantry_pooler.login_secret(wanted text)
      RETURNS TABLE (login text, secret text)
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
        SELECT rolname::text, CASE WHEN rolvaliduntil < now() THEN NULL ELSE rolpassword END
          FROM pg_authid
         WHERE rolname = wanted AND rolcanlogin AND NOT rolsuper AND rolname <> session_user
           AND has_database_privilege(oid, current_database(), 'CONNECT')
      $$`);
    await client.query('REVOKE ALL ON FUNCTION tenantry_pooler.login_secret(text) FROM PUBLIC');
    await client.query(`GRANT EXECUTE ON FUNCTION tenantry_pooler.login_secret(text) TO ${role}`);
  }

  private async createRole(): Promise<void> {
    const { rowCount } = await this.pool.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [POOLER_LOOKUP_ROLE]);
    if (rowCount === 1) return;
    try {
      await this.pool.query(`CREATE ROLE ${quoteIdent(POOLER_LOOKUP_ROLE)} LOGIN NOINHERIT`);
    } catch (error) {
      if (!LOST_RACE.has((error as { code?: string }).code ?? '')) throw error;
    }
  }
}
