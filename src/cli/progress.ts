/**
 * Progress of a long command on stderr: a bar on a terminal, a line every 10% otherwise (logs
 * stay readable). Without a known total, a running count (a line every 10,000 otherwise).
 */
export class Progress {
  private lastLine = 0;

  constructor(
    private readonly total: number | undefined,
    private readonly unit: string,
    private readonly verb: string,
  ) {}

  update(done: number, note = ''): void {
    const suffix = note ? ` (${note})` : '';
    if (this.total === undefined) {
      if (process.stderr.isTTY) process.stderr.write(`\r${this.verb} ${done} ${this.unit}${suffix}\u001b[K`);
      else if (done >= this.lastLine + 10_000) {
        this.lastLine = done - (done % 10_000);
        process.stderr.write(`${this.verb} ${done} ${this.unit}${suffix}\n`);
      }
      return;
    }
    const pct = this.total === 0 ? 100 : Math.floor((done / this.total) * 100);
    if (process.stderr.isTTY) {
      const width = 30;
      const filled = Math.round((pct / 100) * width);
      process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(pct).padStart(3)}% ${done}/${this.total} ${this.unit}${suffix}\u001b[K`);
      if (done === this.total) process.stderr.write('\n');
    } else if (pct >= this.lastLine + 10 || done === this.total) {
      this.lastLine = pct - (pct % 10);
      process.stderr.write(`${this.verb} ${done}/${this.total} ${this.unit} (${pct}%)\n`);
    }
  }

  /** Ends a running count's line on a terminal. */
  end(): void {
    if (this.total === undefined && process.stderr.isTTY) process.stderr.write('\n');
  }
}
