import { spawn } from 'node:child_process';
import { pipeline, type Transform } from 'node:stream';

export interface PipeOptions {
  /** Every byte the producer writes goes through it on its way to the consumer. */
  through?: Transform;
  /** Added to both programs' environment (PGOPTIONS: settings of their sessions on the server). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs `producer | consumer`; fails with what either said on stderr, or how to install a missing
 * one. A failed one takes the other down at once, so a psql is not left to run the end of a script
 * that broke off. The outcome waits for both to exit: the consumer's own words, when it has any, are
 * the failure reported (its exit is what broke the pipe), before the producer's EPIPE.
 */
export function pipe([producerFile, ...producerArgs]: string[], [consumerFile, ...consumerArgs]: string[], options: PipeOptions = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const env = options.env && { ...process.env, ...options.env };
    const producer = spawn(producerFile, producerArgs, { stdio: ['ignore', 'pipe', 'pipe'], env });
    const consumer = spawn(consumerFile, consumerArgs, { stdio: ['pipe', 'ignore', 'pipe'], env });
    const said = { producer: '', consumer: '' };
    const codes: { producer?: number | null; consumer?: number | null } = {};
    const names = { producer: producerFile, consumer: consumerFile };
    let broken: Error | undefined;
    let settled = false;
    const fail = (tool: string, error: Error & { code?: string }, words = '') => {
      if (settled) return;
      settled = true;
      producer.kill();
      consumer.kill();
      const missing = error.code === 'ENOENT';
      reject(
        new Error(missing ? `${tool} is not installed here (Debian: apt-get install postgresql-client)` : `${tool} failed: ${words || error.message}`, {
          cause: error,
        }),
      );
    };
    const failed = (role: 'producer' | 'consumer') => fail(names[role], new Error(`exit code ${codes[role]}`), said[role]);
    const settle = () => {
      if (settled || codes.producer === undefined || codes.consumer === undefined) return;
      if (codes.consumer !== 0 && said.consumer) return failed('consumer');
      if (broken) return fail('the pipe', broken);
      if (codes.producer !== 0) return failed('producer');
      if (codes.consumer !== 0) return failed('consumer');
      settled = true;
      resolve();
    };
    if (options.through) {
      pipeline(producer.stdout, options.through, consumer.stdin, (error) => {
        if (!error) return;
        broken ??= error;
        producer.kill();
        consumer.kill();
      });
    } else {
      producer.stdout.pipe(consumer.stdin);
      // psql ending first (an error) closes the pipe; the producer's EPIPE is not the failure to report.
      consumer.stdin.on('error', () => undefined);
    }
    for (const [role, child, other] of [
      ['producer', producer, consumer],
      ['consumer', consumer, producer],
    ] as const) {
      child.stderr.on('data', (chunk: Buffer) => (said[role] += chunk.toString()));
      child.on('error', (error: Error) => fail(names[role], error, said[role]));
      child.on('close', (code: number | null) => {
        codes[role] = code;
        if (code !== 0) other.kill();
        settle();
      });
    }
  });
}
