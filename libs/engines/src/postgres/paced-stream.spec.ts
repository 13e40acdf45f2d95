import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pacedStream } from './paced-stream';

/** Collects what reaches it, taking each chunk after `delayMs`. */
function sink(delayMs = 0) {
  const received: Buffer[] = [];
  const writable = new Writable({
    highWaterMark: 16 * 1024,
    write(chunk: Buffer, _encoding, done) {
      received.push(chunk);
      setTimeout(done, delayMs);
    },
  });
  return { writable, bytes: () => Buffer.concat(received) };
}

const chunked = (data: Buffer, size: number) => Array.from({ length: Math.ceil(data.length / size) }, (_, i) => data.subarray(i * size, (i + 1) * size));

describe('pacedStream', () => {
  it('passes every byte on in order, at no more than its rate and not much below it', async () => {
    // 1 MiB at 2 MiB/s: half a second; pieces of uneven sizes, one over the 64 KiB a slice may be.
    const data = randomBytes(1024 * 1024);
    const pieces = [data.subarray(0, 100), data.subarray(100, 200_000), ...chunked(data.subarray(200_000), 7_777)];
    const out = sink();
    const started = performance.now();
    await pipeline(Readable.from(pieces), pacedStream(2 * 1024 * 1024), out.writable);
    const seconds = (performance.now() - started) / 1000;
    expect(out.bytes().equals(data)).toBe(true);
    // The first slice goes at once: the rest, 1 MiB less one slice at most, takes its time.
    expect(seconds).toBeGreaterThanOrEqual(0.45);
    expect(seconds).toBeLessThan(1.5);
  });

  it('resumes at its rate after a stall, without a burst to make up the time lost', async () => {
    const data = randomBytes(512 * 1024);
    let stalled = false;
    const arrivals: Array<[number, number]> = [];
    const writable = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _encoding, done) {
        arrivals.push([performance.now(), chunk.length]);
        // A consumer that stops for a second once (an index build on the server).
        if (!stalled && arrivals.length === 2) {
          stalled = true;
          setTimeout(done, 1000);
        } else done();
      },
    });
    await pipeline(Readable.from(chunked(data, 16 * 1024)), pacedStream(256 * 1024), writable);
    // What the buffers between held during the stall (the pacer's 64 KiB, the consumer's 16, a chunk
    // or two on their way) arrives together; the second made up would come as 256 KiB more.
    const resumed = arrivals[2][0];
    const burst = arrivals.filter(([at]) => at - resumed <= 50).reduce((sum, [, length]) => sum + length, 0);
    expect(burst).toBeLessThanOrEqual(128 * 1024);
  });

  it('holds its producer back while the consumer is full: what is buffered stays bounded', async () => {
    let produced = 0;
    let consumed = 0;
    let mostAhead = 0;
    const source = new Readable({
      read() {
        if (produced >= 2 * 1024 * 1024) return void this.push(null);
        produced += 16 * 1024;
        this.push(Buffer.alloc(16 * 1024, 1));
      },
    });
    const slow = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _encoding, done) {
        consumed += chunk.length;
        mostAhead = Math.max(mostAhead, produced - consumed);
        setTimeout(done, 2);
      },
    });
    // Far faster than the consumer: only backpressure keeps the 2 MiB from piling up in memory.
    await pipeline(source, pacedStream(1024 * 1024 * 1024), slow);
    expect(consumed).toBe(2 * 1024 * 1024);
    expect(mostAhead).toBeLessThan(256 * 1024);
  });

  it("fails the pipeline with its producer's error, and a consumer's", async () => {
    const failing = new Readable({
      read() {
        this.destroy(new Error('dump unreadable'));
      },
    });
    await expect(pipeline(failing, pacedStream(1024 * 1024), sink().writable)).rejects.toThrow('dump unreadable');
    const refusing = new Writable({ write: (_chunk, _encoding, done) => done(new Error('server gone')) });
    await expect(pipeline(Readable.from([Buffer.alloc(10)]), pacedStream(1024 * 1024), refusing)).rejects.toThrow('server gone');
  });

  it('refuses a rate that is not above zero', () => {
    for (const bad of [0, -1, Number.NaN]) expect(() => pacedStream(bad)).toThrow(RangeError);
  });
});
