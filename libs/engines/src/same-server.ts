import type { PoolAddress } from '@tenantry/common';

/** Two pools of one server: the same engine at the same address (an Azure SQL pool's host is its logical server's name). */
export function onSameServer(a: PoolAddress, b: PoolAddress): boolean {
  return a.engine === b.engine && a.host.toLowerCase() === b.host.toLowerCase() && a.port === b.port;
}
