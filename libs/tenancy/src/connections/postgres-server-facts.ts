import type { DataSource } from 'typeorm';

/** What TypeORM's PostgresDriver asks the server on every initialize() unless it already knows it. */
interface PostgresDriverFacts {
  version?: string;
  searchSchema?: string;
}

/**
 * The server version and search schema TypeORM reads with three queries each time a PostgreSQL
 * DataSource initializes, learnt from a server's first tenant DataSource and handed to the next
 * ones, so opening a tenant's DataSource sends nothing to the server: its first connection is made
 * by its first query. Tenant databases of one server are clones of one template reached through
 * logins without a search_path of their own, so they share both facts.
 *
 * `version` and `searchSchema` are TypeORM internals (PostgresDriver.connect() queries only what is
 * unset): typeorm is pinned, and driver-internals.int-spec.ts says when they move.
 */
export class PostgresServerFacts {
  private readonly known = new Map<string, Required<PostgresDriverFacts>>();

  /** Gives a DataSource not yet initialized what its server's earlier DataSources learnt. */
  seed(server: string, dataSource: DataSource): void {
    const facts = this.known.get(server);
    if (facts) Object.assign(dataSource.driver as PostgresDriverFacts, facts);
  }

  /** Keeps what an initialized DataSource learnt, for the next ones of its server. */
  learn(server: string, dataSource: DataSource): void {
    if (this.known.has(server)) return;
    const { version, searchSchema } = dataSource.driver as PostgresDriverFacts;
    if (version && searchSchema) this.known.set(server, { version, searchSchema });
  }
}
