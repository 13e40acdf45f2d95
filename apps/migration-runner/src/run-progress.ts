import { MultiBar, type SingleBar } from 'cli-progress';

/**
 * A fleet run's progress bar on a terminal, redrawn in place at most ten times a second; what is
 * logged through it (a failed tenant, a signal) prints above the bar. Not for a pipe or a file:
 * there the command prints one line per tenant instead.
 */
export class RunProgress {
  private readonly bars: MultiBar;
  private readonly bar: SingleBar;

  /** `counted` names what the second count is (failed tenants of a migration run, drifted ones of a scan). */
  constructor(out: Pick<NodeJS.WriteStream, 'write' | 'isTTY'>, total: number, counted = 'failed') {
    this.bars = new MultiBar({
      // cli-progress only writes to the stream and reads its isTTY and columns.
      stream: out as unknown as NodeJS.WritableStream,
      format: `[{bar}] {value}/{total} tenants, {failed} ${counted}`,
      barsize: 30,
      barCompleteChar: '#',
      barIncompleteChar: '-',
      // Lines logged above the bar (errors) wrap as usual; only the bar is kept to one line.
      linewrap: true,
    });
    this.bar = this.bars.create(total, 0, { failed: 0 });
  }

  update(done: number, failed: number): void {
    this.bar.update(done, { failed });
  }

  log(text: string): void {
    this.bars.log(text);
  }

  /** Draws the last state, with what was logged above it, and leaves the cursor on the line below. */
  stop(): void {
    this.bars.update();
    this.bars.stop();
  }
}
