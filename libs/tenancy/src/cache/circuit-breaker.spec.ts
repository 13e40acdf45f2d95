import { CircuitBreaker } from './circuit-breaker';

describe('CircuitBreaker', () => {
  let clock = 0;
  const breaker = () => new CircuitBreaker({ failureThreshold: 3, openMs: 1_000 }, () => clock);

  beforeEach(() => {
    clock = 0;
  });

  it('opens after the threshold of failures in a row, and a success in between resets the count', () => {
    const b = breaker();
    b.failed();
    b.failed();
    b.succeeded();
    b.failed();
    b.failed();
    expect(b.allows()).toBe(true);
    b.failed();
    expect(b.state).toBe('open');
    expect(b.allows()).toBe(false);
  });

  it('after the open period lets exactly one trial through; its success closes the circuit', () => {
    const b = breaker();
    for (let i = 0; i < 3; i += 1) b.failed();
    clock += 999;
    expect(b.allows()).toBe(false);
    clock += 1;
    expect(b.allows()).toBe(true);
    expect(b.state).toBe('half-open');
    expect(b.allows()).toBe(false);
    b.succeeded();
    expect(b.state).toBe('closed');
    expect([b.allows(), b.allows()]).toEqual([true, true]);
  });

  it('a failed trial opens it again for a full period', () => {
    const b = breaker();
    for (let i = 0; i < 3; i += 1) b.failed();
    clock += 1_000;
    expect(b.allows()).toBe(true);
    b.failed();
    expect(b.state).toBe('open');
    clock += 500;
    expect(b.allows()).toBe(false);
    clock += 500;
    expect(b.allows()).toBe(true);
  });
});
