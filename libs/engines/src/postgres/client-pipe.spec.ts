import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Transform } from 'node:stream';
import { pipe } from './client-pipe';

describe('pipe (producer | consumer, as pg_dump | psql)', () => {
  const directory = mkdtempSync(join(tmpdir(), 'tenantry-pipe-'));
  const out = join(directory, 'out');
  const sh = (script: string) => ['sh', '-c', script];

  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('passes every byte through what is between, with the environment given', async () => {
    await pipe(sh('seq 1 100000; printf %s "$PGOPTIONS"'), sh(`cat > ${out}`), { through: new PassThrough(), env: { PGOPTIONS: '-c x=1' } });
    const lines = readFileSync(out, 'utf8').split('\n');
    expect(lines).toHaveLength(100_001);
    expect(lines[99_999]).toBe('100000');
    expect(lines[100_000]).toBe('-c x=1');
  });

  it("fails with the consumer's words when it stops, with the producer's when it breaks off, and with the stream's error", async () => {
    await expect(pipe(sh('seq 1 1000000'), sh('head -c 10 >/dev/null; echo "ERROR: relation exists" >&2; exit 3'))).rejects.toThrow('sh failed: ERROR: relation exists');
    await expect(pipe(sh('echo "could not read input file" >&2; exit 1'), sh(`cat > ${out}`), { through: new PassThrough() })).rejects.toThrow(
      'sh failed: could not read input file',
    );
    const broken = new Transform({ transform: (_chunk, _encoding, done) => done(new Error('pace lost')) });
    await expect(pipe(sh('seq 1 1000'), sh(`cat > ${out}`), { through: broken })).rejects.toThrow('the pipe failed: pace lost');
    await expect(pipe(['no-such-tool-here'], sh('cat'))).rejects.toThrow('no-such-tool-here is not installed here');
  });
});
