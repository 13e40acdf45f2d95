import type { EngineKind } from '@tenantry/common';
import { type Fleet, type FleetPool, type FleetServer, type MovableTenant, overfullPools, planRebalance, type RebalanceRules } from './rebalance-planner';

const server = (name: string, extra: Partial<FleetServer> = {}): FleetServer => ({
  id: `s-${name}`,
  name,
  engine: 'postgres',
  region: 'eu',
  maxDatabases: 1_000,
  draining: false,
  ...extra,
});
const pool = (name: string, on: string, used: number, maxDatabases: number, extra: Partial<FleetPool> = {}): FleetPool => ({
  id: `p-${name}`,
  name,
  serverId: `s-${on}`,
  engine: 'postgres',
  maxDatabases,
  used,
  dedicated: false,
  ...extra,
});
let born = 0;
/** `count` tenants in `poolName`, created one after the other (the last is the youngest), named <pool>-1…<pool>-count. */
const tenantsIn = (poolName: string, count: number, region = 'eu'): MovableTenant[] =>
  Array.from({ length: count }, (_, i) => ({
    id: `t-${poolName}-${i + 1}`,
    code: `${poolName}-${i + 1}`,
    region,
    poolId: `p-${poolName}`,
    createdAt: new Date(++born * 1000),
  }));
const rules = (thresholdPercent = 80, engines: EngineKind[] = ['postgres', 'azure-sql']): RebalanceRules => ({ thresholdPercent, engines });
const moved = (fleet: Fleet, tenants: MovableTenant[], r = rules()) =>
  planRebalance(fleet, tenants, r).moves.map((move) => `${move.tenant.code}: ${move.from.pool}@${move.from.server} -> ${move.to.pool}@${move.to.server}`);

describe('planRebalance', () => {
  it('proposes nothing when every pool and server is at or under the threshold (80% of 10 is 8: not over)', () => {
    const fleet = { servers: [server('a')], pools: [pool('full-ish', 'a', 8, 10), pool('empty', 'a', 0, 10)] };
    expect(planRebalance(fleet, tenantsIn('full-ish', 8), rules())).toEqual({ thresholdPercent: 80, moves: [], unresolved: [] });
  });

  it('moves just enough tenants out of an overfull pool to bring it to the threshold, youngest first, with the reason', () => {
    const fleet = { servers: [server('a')], pools: [pool('hot', 'a', 10, 10), pool('cool', 'a', 0, 10)] };
    const plan = planRebalance(fleet, tenantsIn('hot', 10), rules());
    expect(plan.moves.map((move) => move.tenant.code)).toEqual(['hot-10', 'hot-9']);
    expect(plan.moves[0]).toMatchObject({ from: { pool: 'hot', server: 'a' }, to: { pool: 'cool', server: 'a' }, reason: 'pool hot is 100% full (10/10), above 80%' });
    expect(plan.moves[1].reason).toBe('pool hot is 90% full (9/10), above 80%');
    expect(plan.unresolved).toEqual([]);
  });

  it('gives the same plan for the same fleet, whatever order the tenants come in (a stable order, ties by code)', () => {
    const fleet = { servers: [server('a')], pools: [pool('hot', 'a', 4, 4), pool('cool', 'a', 0, 10)] };
    const sameAge = tenantsIn('hot', 4).map((tenant) => ({ ...tenant, createdAt: new Date(0) }));
    const forward = moved(fleet, sameAge, rules(50));
    expect(forward).toEqual(moved(fleet, [...sameAge].reverse(), rules(50)));
    expect(forward).toEqual(['hot-1: hot@a -> cool@a', 'hot-2: hot@a -> cool@a']);
  });

  it('never proposes a move into a pool that would itself pass the threshold, and spreads over the pools that stay under', () => {
    const fleet = { servers: [server('a')], pools: [pool('hot', 'a', 10, 10), pool('b', 'a', 7, 10), pool('c', 'a', 6, 10)] };
    const plan = planRebalance(fleet, tenantsIn('hot', 10), rules());
    // hot needs 2 moves out; b can take 1 (to 8/10), c 2: the emptiest after the move first, then by name.
    expect(plan.moves.map((move) => move.to.pool)).toEqual(['c', 'b']);
    const many = { servers: [server('a')], pools: [pool('hot', 'a', 10, 10), pool('b', 'a', 7, 10), pool('c', 'a', 7, 10)] };
    const spread = planRebalance(many, tenantsIn('hot', 10), rules(70));
    expect(spread.moves).toEqual([]);
    expect(spread.unresolved).toEqual([
      {
        pool: 'hot',
        server: 'a',
        reason:
          "pool hot is 100% full (10/10), above 70% after the moves proposed: no shared postgres pool of its tenants' region, on a server that is not draining, can take one more without passing 70% (tenants under an operation are not moved)",
      },
    ]);
  });

  it('says which pools stay over when the room under the threshold runs out part-way', () => {
    const fleet = { servers: [server('a')], pools: [pool('hot', 'a', 10, 10), pool('small', 'a', 0, 2)] };
    const plan = planRebalance(fleet, tenantsIn('hot', 10), rules());
    // small takes one (1/2 = 50%); a second would be 100%.
    expect(plan.moves.map((move) => move.to.pool)).toEqual(['small']);
    expect(plan.unresolved).toEqual([
      expect.objectContaining({ pool: 'hot', reason: expect.stringContaining('pool hot is 90% full (9/10), above 80% after the moves proposed') }),
    ]);
  });

  it('never moves a tenant into a dedicated pool, nor out of one', () => {
    const fleet = {
      servers: [server('a')],
      pools: [pool('hot', 'a', 10, 10), pool('vip', 'a', 0, 10, { dedicated: true }), pool('vip-full', 'a', 10, 10, { dedicated: true })],
    };
    const plan = planRebalance(fleet, [...tenantsIn('hot', 10), ...tenantsIn('vip-full', 10)], rules());
    expect(plan.moves).toEqual([]);
    expect(plan.unresolved.map((entry) => entry.pool)).toEqual(['hot']);
  });

  it('keeps a tenant in its region: a pool on a server of another region is never a target', () => {
    const fleet = { servers: [server('eu1'), server('us1', { region: 'us' })], pools: [pool('hot', 'eu1', 10, 10), pool('far', 'us1', 0, 10)] };
    expect(moved(fleet, tenantsIn('hot', 10))).toEqual([]);
    const mixed = { servers: [server('eu1'), server('us1', { region: 'us' }), server('eu2')], pools: [...fleet.pools, pool('near', 'eu2', 0, 10)] };
    expect(moved(mixed, tenantsIn('hot', 10))).toEqual(['hot-10: hot@eu1 -> near@eu2', 'hot-9: hot@eu1 -> near@eu2']);
  });

  it('skips a tenant whose region no target serves, and moves the next one', () => {
    const fleet = { servers: [server('a')], pools: [pool('hot', 'a', 10, 10), pool('cool', 'a', 0, 10)] };
    const tenants = tenantsIn('hot', 10);
    tenants[9] = { ...tenants[9], region: 'mars' };
    expect(planRebalance(fleet, tenants, rules()).moves.map((move) => move.tenant.code)).toEqual(['hot-9', 'hot-8']);
  });

  it('never targets a pool on a draining server', () => {
    const fleet = { servers: [server('a'), server('retiring', { draining: true })], pools: [pool('hot', 'a', 10, 10), pool('old', 'retiring', 0, 10)] };
    expect(moved(fleet, tenantsIn('hot', 10))).toEqual([]);
  });

  it('keeps the engine: a PostgreSQL tenant never goes to an elastic pool, and no move goes to an engine the processes do not drive', () => {
    const fleet = {
      servers: [server('pg'), server('sql', { engine: 'azure-sql' })],
      pools: [pool('hot', 'pg', 10, 10), pool('elastic', 'sql', 0, 10, { engine: 'azure-sql' })],
    };
    expect(moved(fleet, tenantsIn('hot', 10))).toEqual([]);
    const azure = {
      servers: [server('sql1', { engine: 'azure-sql' }), server('sql2', { engine: 'azure-sql' })],
      pools: [pool('ep-hot', 'sql1', 10, 10, { engine: 'azure-sql' }), pool('ep-cool', 'sql2', 0, 10, { engine: 'azure-sql' })],
    };
    expect(moved(azure, tenantsIn('ep-hot', 10), rules(80, ['postgres']))).toEqual([]);
    expect(moved(azure, tenantsIn('ep-hot', 10), rules(80, ['azure-sql']))).toHaveLength(2);
  });

  it('needs room: a pool at capacity is no target even under a threshold of 100%', () => {
    const fleet = { servers: [server('a')], pools: [pool('hot', 'a', 10, 9), pool('full', 'a', 5, 5), pool('roomy', 'a', 4, 5)] };
    expect(moved(fleet, tenantsIn('hot', 10), rules(100))).toEqual(['hot-10: hot@a -> roomy@a']);
  });

  it('prefers another pool of the same server (an in-place move) when only the pool is over', () => {
    const fleet = { servers: [server('a'), server('b')], pools: [pool('hot', 'a', 10, 10), pool('sibling', 'a', 5, 10), pool('remote', 'b', 0, 10)] };
    expect(moved(fleet, tenantsIn('hot', 10))).toEqual(['hot-10: hot@a -> sibling@a', 'hot-9: hot@a -> sibling@a']);
  });

  it('relieves a pool over on a server over by moving a tenant to another server', () => {
    const fleet = {
      servers: [server('busy', { maxDatabases: 19 }), server('quiet', { maxDatabases: 20 })],
      pools: [pool('b1', 'busy', 8, 10), pool('b2', 'busy', 8, 9), pool('q1', 'quiet', 0, 10)],
    };
    const plan = planRebalance(fleet, [...tenantsIn('b1', 8), ...tenantsIn('b2', 8)], rules());
    // b1 is at 80% (not over), b2 at 89%, busy at 84% (16/19): one move out of b2, the fuller, to the other server
    // brings b2 to 78% and busy to 79%; a move to b1 would leave busy over.
    expect(plan.moves).toEqual([
      {
        tenant: { id: 't-b2-8', code: 'b2-8' },
        from: { pool: 'b2', server: 'busy' },
        to: { pool: 'q1', server: 'quiet' },
        reason: 'pool b2 is 89% full (8/9), above 80%',
      },
    ]);
    expect(plan.unresolved).toEqual([]);
  });

  it('relieves a server over out of a pool that is under the threshold itself', () => {
    const fleet = {
      servers: [server('busy', { maxDatabases: 19 }), server('quiet', { maxDatabases: 20 })],
      pools: [pool('b1', 'busy', 8, 10), pool('b2', 'busy', 8, 10), pool('q1', 'quiet', 0, 10)],
    };
    const plan = planRebalance(fleet, [...tenantsIn('b1', 8), ...tenantsIn('b2', 8)], rules());
    expect(plan.moves).toEqual([
      {
        tenant: { id: 't-b1-8', code: 'b1-8' },
        from: { pool: 'b1', server: 'busy' },
        to: { pool: 'q1', server: 'quiet' },
        reason: 'server busy is 84% full (16/19), above 80%',
      },
    ]);
    expect(plan.unresolved).toEqual([]);
  });

  it('does not relieve an overfull server by shuffling tenants between its own pools, and reports the server once', () => {
    const fleet = { servers: [server('busy', { maxDatabases: 20 })], pools: [pool('b1', 'busy', 17, 17), pool('b2', 'busy', 0, 3)] };
    const plan = planRebalance(fleet, tenantsIn('b1', 17), rules());
    expect(plan.moves).toEqual([]);
    expect(plan.unresolved).toEqual([
      expect.objectContaining({
        pool: 'b1',
        reason: expect.stringContaining('server busy is 85% full (17/20), above 80% after the moves proposed: no shared postgres pool on another server'),
      }),
    ]);
  });

  it('never takes a target server over the threshold, even through a pool with room', () => {
    const fleet = {
      servers: [server('a'), server('nearly', { maxDatabases: 10 })],
      pools: [pool('hot', 'a', 10, 10), pool('n1', 'nearly', 8, 8), pool('n2', 'nearly', 0, 2)],
    };
    // n2 has room (0/2) but nearly would hold 9/10 (90%).
    expect(moved(fleet, tenantsIn('hot', 10))).toEqual([]);
  });

  it('counts its own proposals: later moves see the room earlier ones took', () => {
    const fleet = { servers: [server('a')], pools: [pool('hot1', 'a', 10, 10), pool('hot2', 'a', 10, 10), pool('cool', 'a', 6, 10)] };
    const plan = planRebalance(fleet, [...tenantsIn('hot1', 10), ...tenantsIn('hot2', 10)], rules());
    expect(plan.moves.map((move) => move.to.pool)).toEqual(['cool', 'cool']);
    // Greedy, fullest first (a tie by name): hot1 is brought to the threshold, nothing is left for hot2.
    expect(plan.moves.map((move) => move.from.pool)).toEqual(['hot1', 'hot1']);
    expect(plan.unresolved.map((entry) => `${entry.pool}: ${entry.reason.split(' after')[0]}`)).toEqual(['hot2: pool hot2 is 100% full (10/10), above 80%']);
  });

  it('leaves a pool over when none of its tenants may move (all under an operation), and says so', () => {
    const fleet = { servers: [server('a')], pools: [pool('hot', 'a', 10, 10), pool('cool', 'a', 0, 10)] };
    const plan = planRebalance(fleet, [], rules());
    expect(plan.moves).toEqual([]);
    expect(plan.unresolved).toEqual([expect.objectContaining({ pool: 'hot', reason: expect.stringContaining('tenants under an operation are not moved') })]);
  });

  it('works from the fullest pool first', () => {
    const fleet = { servers: [server('a')], pools: [pool('warm', 'a', 9, 10), pool('hot', 'a', 10, 10), pool('cool', 'a', 7, 10)] };
    // cool takes one (8/10): the fullest pool gets it.
    expect(moved(fleet, [...tenantsIn('warm', 9), ...tenantsIn('hot', 10)])).toEqual(['hot-10: hot@a -> cool@a']);
  });

  it('treats a threshold near a binary fraction exactly: 70% of 10 is 7 (not over), 8 is over', () => {
    const at = { servers: [server('a')], pools: [pool('p', 'a', 7, 10), pool('q', 'a', 0, 10)] };
    expect(moved(at, tenantsIn('p', 7), rules(70))).toEqual([]);
    const above = { servers: [server('a')], pools: [pool('p', 'a', 8, 10), pool('q', 'a', 6, 10)] };
    expect(moved(above, tenantsIn('p', 8), rules(70))).toEqual(['p-8: p@a -> q@a']);
  });

  it('counts admitted tenants not placed yet as used (as admission does), though only placed ones can move', () => {
    const fleet = { servers: [server('a')], pools: [pool('hot', 'a', 10, 10), pool('cool', 'a', 0, 10)] };
    // 10 slots taken, 3 of them admissions still being placed: 2 placed tenants move.
    expect(moved(fleet, tenantsIn('hot', 7))).toHaveLength(2);
  });
});

describe('overfullPools', () => {
  it('lists the shared pools over the threshold or on a server over it, fullest first, never a dedicated one', () => {
    const fleet = {
      servers: [server('a', { maxDatabases: 10 }), server('b')],
      pools: [pool('a1', 'a', 5, 10), pool('a2', 'a', 4, 10), pool('b1', 'b', 9, 10), pool('b2', 'b', 1, 10), pool('vip', 'b', 10, 10, { dedicated: true })],
    };
    expect(overfullPools(fleet, 80).map((p) => p.name)).toEqual(['b1', 'a1', 'a2']);
  });
});
