import { scramVerifier } from '../src/postgres/scram-verifier';

/**
 * Whether a PostgreSQL login whose pg_authid.rolpassword is `verifier` accepts `password`: the
 * verifier recomputed with its own salt. Tests need this because their server trusts every
 * loopback connection, so connecting proves nothing about a password.
 */
export function verifierAccepts(verifier: string | null, password: string): boolean {
  const salt = /^SCRAM-SHA-256\$4096:([^$]+)\$/.exec(verifier ?? '')?.[1];
  return salt !== undefined && scramVerifier(password, Buffer.from(salt, 'base64')) === verifier;
}
