import { RunStop } from './run-stop';

const settled = async (stop: RunStop) => {
  let released = false;
  void stop.released.then(() => (released = true));
  await new Promise((resolve) => setImmediate(resolve));
  return released;
};

describe('RunStop', () => {
  it('waits for the drain after a first request, and not at all after a second', async () => {
    const stop = new RunStop();
    expect(stop.requested).toBeUndefined();
    stop.request({ status: 'interrupted', reason: 'interrupted by SIGTERM' }, 60_000);
    expect(stop.requested).toEqual({ status: 'interrupted', reason: 'interrupted by SIGTERM' });
    expect(await settled(stop)).toBe(false);
    stop.request({ status: 'interrupted', reason: 'interrupted by SIGINT' }, 60_000);
    expect(await settled(stop)).toBe(true);
    expect(stop.requested?.reason).toBe('interrupted by SIGTERM');
  });

  it('releases once the drain has passed', async () => {
    const stop = new RunStop();
    stop.request({ status: 'interrupted', reason: 'interrupted by SIGTERM' }, 20);
    await expect(stop.released).resolves.toBeUndefined();
  });

  it('lets a crash outrank an interruption', async () => {
    const stop = new RunStop();
    stop.request({ status: 'interrupted', reason: 'interrupted by SIGTERM' }, 60_000);
    stop.request({ status: 'crashed', reason: 'the runner crashed: boom' }, 0);
    expect(stop.requested).toEqual({ status: 'crashed', reason: 'the runner crashed: boom' });
    stop.request({ status: 'interrupted', reason: 'interrupted by SIGINT' }, 0);
    expect(stop.requested?.status).toBe('crashed');
    expect(await settled(stop)).toBe(true);
  });
});
