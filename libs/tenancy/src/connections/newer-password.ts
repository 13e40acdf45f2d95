import { setTimeout as sleep } from 'node:timers/promises';

/** What the registry says of the tenant's login now: its password, or null when it is no longer served from the database the pool reaches. */
export type CurrentPassword = () => Promise<string | null>;

/**
 * Polls `current` until it holds a password other than `rejected` (returned), says the tenant is no
 * longer served there, or `waitMs` passes (both undefined). A registry that cannot answer for a
 * moment is asked again: only its answer ends the wait early, never its silence.
 */
export async function newerPassword(current: CurrentPassword, rejected: string, waitMs: number, pollMs: number): Promise<string | undefined> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const password = await current().catch(() => rejected);
    if (password === null) return undefined;
    if (password !== rejected) return password;
    if (Date.now() >= deadline) return undefined;
    await sleep(pollMs);
  }
}
