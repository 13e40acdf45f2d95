import { surviveConnectionErrors } from '@tenantry/common';
import { Client } from 'pg';
import { assertIdentifier } from '../tenant-names';
import type { PooledServer } from './pooler-budget';

// What the console answers for a database it has no pool for: nothing pooled, nothing to close.
const NO_SUCH_DATABASE = /no such database/i;

/**
 * PgBouncer's admin console (https://www.pgbouncer.org/usage.html#admin-console), for what a
 * tenant's pooled server connections must go through when its login changes. The console speaks
 * only the simple query protocol: commands are sent without parameters, so the database name is
 * checked as an identifier first. Each tenant is its own database at the pooler (the wildcard
 * entry), so a command naming it touches that tenant only.
 */
export class PgBouncerConsole {
  constructor(private readonly adminUrl: string) {}

  /**
   * RECONNECT db: each server connection of the database closes once it is released (at the end of
   * its transaction), so work in flight finishes; new ones are opened with the login as it is now.
   */
  async reconnect(...databases: string[]): Promise<void> {
    await this.run(databases.map((database) => [database, `RECONNECT ${database}`]));
  }

  /**
   * KILL db drops every client and server connection of the database at once; KILL leaves the
   * database paused (new clients wait), so RESUME follows: a new login is then judged by auth_query,
   * which refuses a disabled login and finds no dropped database.
   */
  async kill(database: string): Promise<void> {
    await this.run([
      [database, `KILL ${database}`],
      [database, `RESUME ${database}`],
    ]);
  }

  /**
   * Logs in through the pooler as `login` with its new password. With auth_query, PgBouncer opens a
   * pool's server connections with the SCRAM keys of the last client that logged in to it: until a
   * client logs in with the new password, a server connection it opens for a session that logged in
   * with the old one is refused by a server that checks passwords, and that session's next
   * transaction waits until query_wait_timeout. One login makes the keys current. Where the pooler
   * has no pool of that login in the database (a new tenant, or one unused for autodb_idle_timeout)
   * it keeps no keys to renew, and no login is made: each one costs the database an auth_query
   * connection that stays open for server_idle_timeout, which a fleet's provisioning would multiply.
   */
  async renewLoginKeys(database: string, login: string, password: string): Promise<void> {
    if (!(await this.hasPool(database, login))) return;
    const { hostname, port } = new URL(this.adminUrl);
    const client = new Client({ host: hostname, port: Number(port || 5432), database, user: login, password, application_name: 'tenantry-engine' });
    surviveConnectionErrors(client, 'pooler login');
    await client.connect();
    try {
      await client.query('SELECT 1');
    } finally {
      await client.end();
    }
  }

  /** SHOW SERVERS: every server connection the pooler holds, the lookup role's too. */
  servers(): Promise<PooledServer[]> {
    return this.onConsole(async (client) => {
      const { rows } = await client.query<{ database: string; user: string; state: string; request_time: string }>('SHOW SERVERS');
      return rows.map((row) => ({ database: row.database, user: row.user, state: row.state, requestTime: String(row.request_time) }));
    });
  }

  private hasPool(database: string, login: string): Promise<boolean> {
    return this.onConsole(async (client) => {
      const { rows } = await client.query<{ database: string; user: string }>('SHOW POOLS');
      return rows.some((pool) => pool.database === database && pool.user === login);
    });
  }

  /** Each command names its database, checked as an identifier first; all on one console session. */
  private run(commands: Array<[database: string, command: string]>): Promise<void> {
    for (const [database] of commands) assertIdentifier(database);
    return this.onConsole(async (client) => {
      for (const [, command] of commands) {
        try {
          await client.query(command);
        } catch (error) {
          if (!NO_SUCH_DATABASE.test((error as Error).message)) throw error;
        }
      }
    });
  }

  private async onConsole<T>(work: (client: Client) => Promise<T>): Promise<T> {
    const client = new Client({ connectionString: this.adminUrl, application_name: 'tenantry-engine' });
    surviveConnectionErrors(client, 'pooler console');
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }
}
