import { Transform } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

// A pipe hands over at most 64 KiB at a time; a larger chunk is cut so no burst is longer than that.
const SLICE_BYTES = 64 * 1024;

/**
 * Passes bytes on at no more than `bytesPerSecond`, in order and unchanged. The schedule never
 * banks unused time: after a stall downstream (the server building an index) it resumes at the
 * rate, not in a burst that catches up, since a burst is what the neighbours would feel. Waiting
 * here holds the callback, so a full consumer stops the producer (backpressure) as without it.
 */
export function pacedStream(bytesPerSecond: number): Transform {
  if (!(bytesPerSecond > 0)) throw new RangeError(`a pace must be above 0 bytes per second, not ${bytesPerSecond}`);
  let nextAt = 0;
  const pass = async (stream: Transform, chunk: Buffer) => {
    for (let offset = 0; offset < chunk.length; offset += SLICE_BYTES) {
      const slice = chunk.subarray(offset, offset + SLICE_BYTES);
      const now = performance.now();
      const at = Math.max(nextAt, now);
      nextAt = at + (slice.length * 1000) / bytesPerSecond;
      if (at > now) await sleep(at - now);
      stream.push(slice);
    }
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      pass(this, chunk).then(() => done(), done);
    },
  });
}
