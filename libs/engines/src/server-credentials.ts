import type { PoolAddress } from '@tenantry/common';

/** Where the engines learn how to sign in to a registered server: the registry, which keeps its credential protected. */
export interface ServerCredentialSource {
  /**
   * The superuser (or CREATEDB and CREATEROLE) URL of the PostgreSQL server at `address`; null when
   * it is the server this process is configured with (TENANT_PG_URL), whose engine it already has.
   */
  postgresAdminUrl(address: PoolAddress): Promise<string | null>;
}

export const SERVER_CREDENTIALS = Symbol('SERVER_CREDENTIALS');
