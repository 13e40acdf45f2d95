import { databasesToClose, type PooledServer } from './pooler-budget';

const at = (second: number) => `2026-12-01 03:00:${String(second).padStart(2, '0')} UTC`;
const server = (database: string, second: number, state = 'idle', user = `${database}_app`): PooledServer => ({ database, user, state, requestTime: at(second) });

describe('databasesToClose: a server-wide cap on the pooler, least recently used first', () => {
  it('closes nothing at or under the budget: a hot set that fills it exactly is not churned', () => {
    const servers = Array.from({ length: 20 }, (_, i) => server(`t${i}`, i));
    expect(databasesToClose(servers, 20)).toEqual([]);
  });

  it('past it, closes the least recently used databases until 95 % of the budget is left', () => {
    const servers = Array.from({ length: 21 }, (_, i) => server(`t${i}`, 59 - i));
    expect(databasesToClose(servers, 20)).toEqual(['t20', 't19']);
  });

  it("counts every connection of a database, the lookup role's too, and uses its latest request", () => {
    const servers = [
      ...Array.from({ length: 17 }, (_, i) => server(`t${i}`, 30 + i)),
      server('old', 1),
      server('old', 2, 'used', 'tenantry_pooler_lookup'),
      server('recent', 0),
      server('recent', 50, 'idle', 'tenantry_pooler_lookup'),
    ];
    expect(databasesToClose(servers, 20)).toEqual(['old']);
  });

  it('never closes a database with a connection in use, however old', () => {
    const servers = [server('busy', 0, 'active'), server('busy', 0), server('opening', 1, 'new'), ...Array.from({ length: 19 }, (_, i) => server(`t${i}`, 10 + i))];
    expect(databasesToClose(servers, 20)).toEqual(['t0', 't1', 't2']);
  });
});
