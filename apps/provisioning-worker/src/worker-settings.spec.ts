import { loadSettings } from '@tenantry/common';
import { workerSettings } from './worker-settings';

describe('worker settings', () => {
  const local = { TENANTRY_MODE: 'development', SECRETS_KEY: Buffer.alloc(32, 7).toString('base64') };
  const backups = (env: Record<string, string>) => loadSettings(workerSettings, { ...local, ...env }).worker.backups;

  it('paces a restore at 12 MB/s in one job unless told otherwise; 0 lets it run unpaced, with more jobs if asked', () => {
    expect(backups({})).toMatchObject({ restoreJobs: 1, restoreMaxBytesPerSecond: 12 * 1_048_576 });
    expect(backups({ RESTORE_MAX_MB_PER_SECOND: '2.5' }).restoreMaxBytesPerSecond).toBe(2.5 * 1_048_576);
    expect(backups({ RESTORE_MAX_MB_PER_SECOND: '0', RESTORE_JOBS: '2' })).toMatchObject({ restoreJobs: 2, restoreMaxBytesPerSecond: undefined });
  });

  it('stops start-up on a pace that is not a number of MB/s, or one with several jobs, naming the settings', () => {
    for (const bad of ['-1', 'fast', '20000']) expect(() => backups({ RESTORE_MAX_MB_PER_SECOND: bad })).toThrow(/RESTORE_MAX_MB_PER_SECOND: /);
    expect(() => backups({ RESTORE_JOBS: '2' })).toThrow(/RESTORE_JOBS: a paced restore runs one job; set RESTORE_MAX_MB_PER_SECOND=0/);
  });
});
