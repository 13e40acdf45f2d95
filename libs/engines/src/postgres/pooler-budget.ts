/** A server connection of the pooler, as its console's SHOW SERVERS lists it. */
export interface PooledServer {
  database: string;
  user: string;
  /** active (lent to a client), idle or used (free), new or tested (being opened or checked). */
  state: string;
  /** When it last served a request (1 s resolution), as the console prints it. */
  requestTime: string;
}

// Free to close: neither lent to a client nor being opened.
const FREE = new Set(['idle', 'used']);

/**
 * Past the budget, the pooler is brought back to this share of it: room for the connections opened
 * before the next look. Nothing is closed at or under the budget itself, so a hot set that fills it
 * exactly (M × P = B) is never churned: closing the least recently used of tenants taken in turn
 * closes the very next ones asked for.
 */
export const BUDGET_LOW = 0.95;

/**
 * The databases whose server connections to close so that the pooler holds at most `budget × BUDGET_LOW`
 * once it holds more than `budget`: least recently used first, and only databases none
 * of whose connections is in use, so no transaction is cut and a busy tenant keeps its connection.
 * PgBouncer caps server connections per database (max_db_connections) and per user, never across the
 * server; this is the server-wide cap it does not have, by recency rather than only by idle time.
 */
export function databasesToClose(servers: PooledServer[], budget: number): string[] {
  if (servers.length <= budget) return [];
  let excess = servers.length - Math.floor(budget * BUDGET_LOW);
  const databases = new Map<string, { lastUsed: number; free: number; busy: boolean }>();
  for (const server of servers) {
    const known = databases.get(server.database) ?? { lastUsed: 0, free: 0, busy: false };
    known.lastUsed = Math.max(known.lastUsed, Date.parse(server.requestTime) || 0);
    if (FREE.has(server.state)) known.free += 1;
    else known.busy = true;
    databases.set(server.database, known);
  }
  const closing: string[] = [];
  const leastRecentFirst = [...databases].filter(([, db]) => !db.busy).sort(([a, x], [b, y]) => x.lastUsed - y.lastUsed || a.localeCompare(b));
  for (const [database, { free }] of leastRecentFirst) {
    if (excess <= 0) break;
    closing.push(database);
    excess -= free;
  }
  return closing;
}
