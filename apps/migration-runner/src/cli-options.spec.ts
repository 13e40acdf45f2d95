import { loadSettings } from '@tenantry/common';
import { CliUsageError, HELP, parseCliOptions, settingsWithFlags, type CliOptions } from './cli-options';
import { canaryCount } from './fleet-migrator';
import { migrationRunnerSettings } from './migration-runner-settings';

const parsed = (argv: string[]) => parseCliOptions(argv) as CliOptions;

describe('parseCliOptions', () => {
  it('has defaults an operator can run with', () => {
    expect(parseCliOptions([])).toEqual({
      dryRun: false,
      concurrency: 8,
      canary: 1,
      maxFailures: 10,
      allowDrift: false,
      tenant: undefined,
      report: undefined,
      schedule: undefined,
      lockTimeoutMs: undefined,
      statementTimeoutMs: undefined,
    });
  });

  it('reads every flag', () => {
    expect(
      parseCliOptions([
        '--tenant',
        'acme',
        '--dry-run',
        '--concurrency',
        '4',
        '--canary',
        '0',
        '--report',
        'r.json',
        '--lock-timeout',
        '2s',
        '--statement-timeout',
        '0',
        '--allow-drift',
      ]),
    ).toMatchObject({ tenant: 'acme', dryRun: true, concurrency: 4, canary: 0, report: 'r.json', lockTimeoutMs: 2_000, statementTimeoutMs: 0, allowDrift: true });
  });

  it('answers --help (or -h) with the text that lists every flag and exit code', () => {
    expect(parseCliOptions(['--help'])).toBe('help');
    expect(parseCliOptions(['-h', '--concurrency', '0'])).toBe('help');
    for (const text of ['--lock-timeout', '--statement-timeout', '--schedule', 'SIGTERM', 'abandoned', /^ {2}0 /m, /^ {2}1 /m, /^ {2}2 /m, /^ {2}3 /m, /^ {2}130 /m]) {
      expect(HELP).toMatch(text);
    }
  });

  it('refuses unknown flags and bad numbers, naming them', () => {
    expect(() => parseCliOptions(['--concurency', '4'])).toThrow(CliUsageError);
    expect(() => parseCliOptions(['--concurrency', '0'])).toThrow('--concurrency must be a whole number >= 1');
    expect(() => parseCliOptions(['--canary', 'x'])).toThrow('--canary');
    expect(() => parseCliOptions(['--canary', '150%'])).toThrow('at most 100%');
  });

  it('takes timeouts in ms, s or m (bare numbers are seconds), and refuses anything else', () => {
    expect(parsed(['--lock-timeout', '500ms']).lockTimeoutMs).toBe(500);
    expect(parsed(['--lock-timeout', '5']).lockTimeoutMs).toBe(5_000);
    expect(parsed(['--statement-timeout', '2m']).statementTimeoutMs).toBe(120_000);
    expect(() => parseCliOptions(['--lock-timeout', '0'])).toThrow('--lock-timeout must be a duration such as 500ms, 5s or 2m (more than 0)');
    expect(() => parseCliOptions(['--statement-timeout', '5 minutes'])).toThrow('--statement-timeout must be a duration');
    expect(() => parseCliOptions(['--lock-timeout', '-1s'])).toThrow(CliUsageError);
  });

  it('puts the timeout flags in place of the settings, and leaves the settings alone without them', () => {
    const settings = loadSettings(migrationRunnerSettings, { TENANT_MIGRATION_LOCK_TIMEOUT_MS: '7000', SECRETS_KEY: Buffer.alloc(32, 7).toString('base64') });
    const timeouts = (flags: string[]) => settingsWithFlags(settings, parsed(flags)).engines.postgres.migrationTimeouts;
    expect(settings.engines.postgres.migrationTimeouts).toEqual({ lockTimeoutMs: 7_000, statementTimeoutMs: 600_000, connectTimeoutMs: 10_000 });
    expect(timeouts([])).toEqual(settings.engines.postgres.migrationTimeouts);
    expect(timeouts(['--lock-timeout', '1s', '--statement-timeout', '0'])).toEqual({
      lockTimeoutMs: 1_000,
      statementTimeoutMs: 0,
      connectTimeoutMs: 10_000,
    });
  });

  it('takes the canary as a count or a percent of the tenants behind', () => {
    expect(parsed(['--canary', '10%']).canary).toBe('10%');
    expect(canaryCount('10%', 95)).toBe(10);
    expect(canaryCount('1%', 30)).toBe(1);
    expect(canaryCount(3, 30)).toBe(3);
  });
});
