/** A progress bar on a terminal (epoch, step, loss, accuracy, img/s, ETA); plain lines when not a TTY. */
export class Progress {
  private readonly started = performance.now();
  private lastLine = 0;
  private readonly tty = Boolean(process.stdout.isTTY);

  constructor(private readonly total: number, private readonly log: (line: string) => void) {}

  update(step: number, s: { epoch: number; loss: number; acc: number; imgPerSec: number; skipped: boolean }): void {
    const elapsed = (performance.now() - this.started) / 1000;
    const eta = (elapsed / step) * (this.total - step);
    const text = `epoch ${s.epoch} step ${step}/${this.total} loss ${s.loss.toFixed(4)} acc ${s.acc.toFixed(3)} ${s.imgPerSec.toFixed(0)} img/s ETA ${Math.max(0, eta).toFixed(0)}s${s.skipped ? ' (skipped: non-finite)' : ''}`;
    if (this.tty) {
      const width = 24;
      const filled = Math.round((width * step) / this.total);
      process.stdout.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}   `);
    } else if (step === this.total || performance.now() - this.lastLine > 10_000 || step === 1) {
      this.lastLine = performance.now();
      this.log(text);
    }
  }

  line(text: string): void {
    if (this.tty) process.stdout.write('\n');
    this.log(text);
  }
}
