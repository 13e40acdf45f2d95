import { ArmPacer, armRequestKind, type PacerClock } from './arm-pacer';

/** A clock that moves only when someone sleeps on it: the pacer's waits are exact and take no real time. */
function fakeClock(): PacerClock & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

const SUBSCRIPTION = '0b1f6471-1bf0-4dda-aec3-cb9272f09590';
/** One request let through, and over (no answer read from it). */
async function request(pacer: ArmPacer, kind: 'reads' | 'writes', subscription = SUBSCRIPTION): Promise<void> {
  await pacer.take(subscription, kind);
  pacer.observe(subscription, kind, undefined);
}

const LIMITS = { reads: { burst: 3, perSecond: 2 }, writes: { burst: 2, perSecond: 1 }, deletes: { burst: 2, perSecond: 1 } };

describe('ArmPacer', () => {
  it('sorts requests into ARM’s buckets by method', () => {
    expect(['GET', 'HEAD', 'PUT', 'POST', 'PATCH', 'DELETE'].map(armRequestKind)).toEqual(['reads', 'reads', 'writes', 'writes', 'writes', 'deletes']);
  });

  it('lets the burst through at once, then one request per refill interval, in arrival order', async () => {
    const clock = fakeClock();
    const pacer = new ArmPacer(LIMITS, clock);
    const order: number[] = [];
    // Each request is answered the moment it is let through.
    const answered = (i: number) => {
      order.push(i);
      pacer.observe(SUBSCRIPTION, 'writes', {});
    };
    await Promise.all(Array.from({ length: 5 }, (_, i) => pacer.take(SUBSCRIPTION, 'writes').then(() => answered(i))));
    expect(order).toEqual([0, 1, 2, 3, 4]);
    // Two from the burst, then one a second for the other three.
    expect(clock.now()).toBe(3_000);
  });

  it('keeps each subscription and kind in its own bucket', async () => {
    const clock = fakeClock();
    const pacer = new ArmPacer(LIMITS, clock);
    for (let i = 0; i < 3; i += 1) await request(pacer, 'reads');
    await request(pacer, 'writes');
    await request(pacer, 'reads', 'another-subscription');
    expect(clock.slept).toEqual([]);
  });

  it('counts a request let through and not yet answered as spent at ARM too: its bucket stops refilling at its size all the same', async () => {
    const clock = fakeClock();
    const pacer = new ArmPacer(LIMITS, clock);
    await pacer.take(SUBSCRIPTION, 'writes');
    await pacer.take(SUBSCRIPTION, 'writes');
    // Both still on their way after 10 s: ARM's bucket is full (2) and spends both when they arrive.
    await clock.sleep(10_000);
    pacer.observe(SUBSCRIPTION, 'writes', undefined);
    // One answered, one still out: one token is all there can be.
    await pacer.take(SUBSCRIPTION, 'writes');
    expect(clock.now()).toBe(10_000);
    pacer.observe(SUBSCRIPTION, 'writes', undefined);
    pacer.observe(SUBSCRIPTION, 'writes', undefined);
    await pacer.take(SUBSCRIPTION, 'writes');
    expect(clock.now()).toBe(11_000);
  });

  it('believes ARM’s remaining count when it is lower than its own (others draw on the bucket too)', async () => {
    const clock = fakeClock();
    const pacer = new ArmPacer(LIMITS, clock);
    await pacer.take(SUBSCRIPTION, 'reads');
    pacer.observe(SUBSCRIPTION, 'reads', { remaining: 0 });
    await pacer.take(SUBSCRIPTION, 'reads');
    expect(clock.now()).toBe(500);
  });

  it('sends nothing before a 429’s Retry-After, then draws at half the rate until ARM takes requests again', async () => {
    const clock = fakeClock();
    const pacer = new ArmPacer(LIMITS, clock);
    pacer.observe(SUBSCRIPTION, 'writes', { throttledForMs: 5_000 });
    await request(pacer, 'writes');
    expect(clock.now()).toBe(5_000);
    // The bucket refilled meanwhile at half the rate (2.5 tokens, capped at 2): one more now, then one every 2 s.
    await request(pacer, 'writes');
    await request(pacer, 'writes');
    expect(clock.now()).toBe(7_000);
    for (let i = 0; i < 200; i += 1) pacer.observe(SUBSCRIPTION, 'writes', {});
    await request(pacer, 'writes');
    expect(clock.now()).toBe(8_000);
  });
});
