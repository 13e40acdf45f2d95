import { newerPassword } from './newer-password';

describe('newerPassword: waiting for the registry to hold a password the login takes', () => {
  it('a registry that cannot answer for a moment is asked again, and its new password returned', async () => {
    const answers: Array<() => Promise<string | null>> = [
      () => Promise.reject(new Error('registry timeout')),
      () => Promise.resolve('old'),
      () => Promise.resolve('new'),
    ];
    let asked = 0;
    const current = () => answers[Math.min(asked++, answers.length - 1)]();
    await expect(newerPassword(current, 'old', 1_000, 1)).resolves.toBe('new');
    expect(asked).toBe(3);
  });

  it('the tenant no longer served from that database ends the wait at once', async () => {
    let asked = 0;
    const current = () => {
      asked += 1;
      return Promise.resolve(null);
    };
    await expect(newerPassword(current, 'old', 1_000, 1)).resolves.toBeUndefined();
    expect(asked).toBe(1);
  });

  it('the refused password still held at the deadline, or a registry silent throughout, gives up', async () => {
    await expect(newerPassword(() => Promise.resolve('old'), 'old', 30, 5)).resolves.toBeUndefined();
    const started = Date.now();
    await expect(newerPassword(() => Promise.reject(new Error('down')), 'old', 30, 5)).resolves.toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(30);
  });
});
