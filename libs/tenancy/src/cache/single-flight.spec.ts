import { SingleFlight } from './single-flight';

describe('SingleFlight', () => {
  it('runs one load for every concurrent caller of a key, and a new one afterwards', async () => {
    const flight = new SingleFlight<number>();
    let loads = 0;
    let release!: (value: number) => void;
    const load = () => {
      loads += 1;
      return new Promise<number>((resolve) => (release = resolve));
    };
    const callers = Array.from({ length: 100 }, () => flight.run('t1', load));
    release(42);
    expect(await Promise.all(callers)).toEqual(Array(100).fill(42));
    expect(loads).toBe(1);
    expect(flight.size).toBe(0);
    await flight.run('t1', async () => ++loads);
    expect(loads).toBe(2);
  });

  it('keeps keys apart, and shares a failure with every waiter without caching it', async () => {
    const flight = new SingleFlight<string>();
    const a = flight.run('a', async () => 'A');
    const b = flight.run('b', async () => 'B');
    expect(await Promise.all([a, b])).toEqual(['A', 'B']);
    const failing = () => Promise.reject(new Error('registry down'));
    const [x, y] = [flight.run('c', failing), flight.run('c', failing)];
    await expect(x).rejects.toThrow('registry down');
    await expect(y).rejects.toThrow('registry down');
    await expect(flight.run('c', async () => 'recovered')).resolves.toBe('recovered');
  });
});
