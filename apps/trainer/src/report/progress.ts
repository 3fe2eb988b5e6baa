/**
 * A progress bar on a terminal (epoch, step, loss, accuracy, img/s, ETA); plain lines when not a TTY.
 * The ETA is the rate of this session (steps since `startStep`, the resumed step) times the steps left.
 */
export class Progress {
  private readonly started = performance.now();
  private lastLine = 0;
  private readonly tty = Boolean(process.stdout.isTTY);

  constructor(
    private readonly total: number,
    private readonly log: (line: string) => void,
    private readonly startStep = 0,
  ) {}

  /** Seconds left at this session's rate; undefined before its first step. */
  eta(step: number, elapsedSeconds: number): number | undefined {
    const done = step - this.startStep;
    return done > 0 ? Math.max(0, (elapsedSeconds / done) * (this.total - step)) : undefined;
  }

  update(step: number, s: { epoch: number; loss: number; acc: number; imgPerSec: number; skipped: boolean }): void {
    const elapsed = (performance.now() - this.started) / 1000;
    const eta = this.eta(step, elapsed);
    const text = `epoch ${s.epoch} step ${step}/${this.total} loss ${s.loss.toFixed(4)} acc ${s.acc.toFixed(3)} ${s.imgPerSec.toFixed(0)} img/s ETA ${eta === undefined ? '?' : `${eta.toFixed(0)}s`}${s.skipped ? ' (skipped: non-finite)' : ''}`;
    if (this.tty) {
      const width = 24;
      const filled = Math.round((width * step) / this.total);
      process.stdout.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}   `);
    } else if (step === this.total || performance.now() - this.lastLine > 10_000 || step === this.startStep + 1) {
      this.lastLine = performance.now();
      this.log(text);
    }
  }

  line(text: string): void {
    if (this.tty) process.stdout.write('\n');
    this.log(text);
  }
}
