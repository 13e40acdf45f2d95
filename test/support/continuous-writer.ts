import { httpRequest } from '@tenantry/common/testing';
import { setTimeout as sleep } from 'node:timers/promises';

/** One write the client sent, and how it was answered (status 0: no answer at all). */
export interface WriteOutcome {
  /** Unique per write: the order's customer name, so each can be found (once) in the database. */
  key: string;
  status: number;
  /** The error code of a refusal's answer (e.g. TENANT_WRITES_FROZEN), so a refusal of the wrong kind says which. */
  error?: string;
  retryAfter: string | null;
  sentAt: number;
  answeredAt: number;
}

export interface WriterReport {
  outcomes: WriteOutcome[];
  /** Keys of the writes answered 201: each must be in the tenant's database exactly once. */
  acknowledged: string[];
  refused: WriteOutcome[];
  /** Each run of refused writes, from the first refusal's sending to the next acknowledged write's answer. */
  refusedWindowsMs: number[];
  longestRefusedMs: number;
}

export interface ContinuousWriter {
  /** Writes acknowledged so far. */
  acknowledged(): number;
  /** Resolves once `n` more writes than now have been acknowledged (a hang guard is the caller's). */
  acknowledgedMore(n: number): Promise<void>;
  stop(): Promise<WriterReport>;
}

function report(outcomes: WriteOutcome[]): WriterReport {
  const windows: number[] = [];
  let refusedSince: number | null = null;
  for (const outcome of outcomes) {
    if (outcome.status === 201) {
      if (refusedSince !== null) windows.push(outcome.answeredAt - refusedSince);
      refusedSince = null;
    } else {
      refusedSince ??= outcome.sentAt;
    }
  }
  const last = outcomes.at(-1);
  if (refusedSince !== null && last) windows.push(last.answeredAt - refusedSince);
  return {
    outcomes,
    acknowledged: outcomes.filter((outcome) => outcome.status === 201).map((outcome) => outcome.key),
    refused: outcomes.filter((outcome) => outcome.status !== 201),
    refusedWindowsMs: windows,
    longestRefusedMs: Math.max(0, ...windows),
  };
}

/**
 * A client of the sample API writing one order every `everyMs` (the next one once the last is
 * answered, when that takes longer), each with a key of its own. A refused write is not retried:
 * what matters is that every acknowledged one is kept, and none applied twice.
 */
export function startContinuousWriter(businessUrl: string, token: string, prefix: string, everyMs = 10): ContinuousWriter {
  const outcomes: WriteOutcome[] = [];
  let stopping = false;
  let acked = 0;
  const waiters: Array<{ at: number; resolve: () => void }> = [];
  const loop = (async () => {
    for (let n = 0; !stopping; n += 1) {
      const key = `${prefix}-${n}`;
      const sentAt = Date.now();
      let status: number;
      let error: string | undefined;
      let retryAfter: string | null = null;
      try {
        const answer = await httpRequest(`${businessUrl}/orders`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ customerName: key, lines: [{ sku: 'MOVE', quantity: 1, unitPriceCents: 100 }] }),
        });
        status = answer.status;
        if (status !== 201) error = (JSON.parse(answer.text || '{}') as { error?: string }).error;
        retryAfter = typeof answer.headers['retry-after'] === 'string' ? answer.headers['retry-after'] : null;
      } catch (failure) {
        status = 0;
        error = (failure as Error).message;
      }
      outcomes.push({ key, status, error, retryAfter, sentAt, answeredAt: Date.now() });
      if (status === 201) {
        acked += 1;
        for (const waiter of waiters.filter((w) => w.at <= acked)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
      await sleep(Math.max(0, sentAt + everyMs - Date.now()));
    }
  })();
  return {
    acknowledged: () => acked,
    acknowledgedMore: (n) => new Promise((resolve) => waiters.push({ at: acked + n, resolve })),
    async stop() {
      stopping = true;
      await loop;
      return report(outcomes);
    },
  };
}
