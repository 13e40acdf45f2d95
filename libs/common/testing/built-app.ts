import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { RawEnv } from '../src';
import { childProcessEnv } from './test-env';

/** One of the built apps running as its own process, as production runs it. */
export interface BuiltApp {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The first match of the ready pattern in the app's output (e.g. the line with its port). */
  ready: Promise<RegExpMatchArray>;
  output(): string;
  stop(): Promise<void>;
}

export function spawnBuiltApp(entry: string, env: RawEnv, readyPattern: RegExp, args: string[] = []): BuiltApp {
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run "npm run build" first (npm test does)`);
  const child = spawn(process.execPath, [entry, ...args], { env: childProcessEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const ready = new Promise<RegExpMatchArray>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = readyPattern.exec(output);
      if (match) resolve(match);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then(() => reject(new Error(`${entry} exited before it was ready:\n${output}`)));
  });
  ready.catch(() => undefined);
  return {
    child,
    exited,
    ready,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
