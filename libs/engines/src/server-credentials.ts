import type { PoolAddress } from '@tenantry/common';

/** How the control plane signs in to a registered PostgreSQL server and to the pooler in front of it. */
export interface RegisteredServerAccess {
  /** The superuser (or CREATEDB and CREATEROLE) URL of the server. */
  adminUrl: string;
  /** Its PgBouncer's console (database `pgbouncer`, one of its admin_users); null when it has no pooler. */
  poolerAdminUrl: string | null;
}

/** Where the engines learn how to sign in to a registered server: the registry, which keeps its credentials protected. */
export interface ServerCredentialSource {
  /** Null when it is the server this process is configured with (TENANT_PG_URL), whose engine it already has. */
  postgresAccess(address: PoolAddress): Promise<RegisteredServerAccess | null>;
}

export const SERVER_CREDENTIALS = Symbol('SERVER_CREDENTIALS');
