import { CliUsageError, parseCliOptions } from './cli-options';
import { canaryCount } from './fleet-migrator';

describe('parseCliOptions', () => {
  it('has defaults an operator can run with', () => {
    expect(parseCliOptions([])).toEqual({ dryRun: false, concurrency: 8, canary: 1, maxFailures: 10, tenant: undefined, report: undefined, schedule: undefined });
  });

  it('reads every flag', () => {
    expect(parseCliOptions(['--tenant', 'acme', '--dry-run', '--concurrency', '4', '--canary', '0', '--report', 'r.json'])).toMatchObject({
      tenant: 'acme',
      dryRun: true,
      concurrency: 4,
      canary: 0,
      report: 'r.json',
    });
  });

  it('refuses unknown flags and bad numbers, naming them', () => {
    expect(() => parseCliOptions(['--concurency', '4'])).toThrow(CliUsageError);
    expect(() => parseCliOptions(['--concurrency', '0'])).toThrow('--concurrency must be a whole number >= 1');
    expect(() => parseCliOptions(['--canary', 'x'])).toThrow('--canary');
    expect(() => parseCliOptions(['--canary', '150%'])).toThrow('at most 100%');
  });

  it('takes the canary as a count or a percent of the tenants behind', () => {
    expect(parseCliOptions(['--canary', '10%']).canary).toBe('10%');
    expect(canaryCount('10%', 95)).toBe(10);
    expect(canaryCount('1%', 30)).toBe(1);
    expect(canaryCount(3, 30)).toBe(3);
  });
});
