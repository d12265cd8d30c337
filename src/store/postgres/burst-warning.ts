/**
 * Warnings of background work on PostgreSQL that has nobody to throw to (cluster bus messages,
 * audit entries written after the request): one line on stderr for the first failure of a burst,
 * then silence for a while, then the next failure with the number left unsaid meanwhile. A
 * database that is down for a minute logs a few lines, not one per message.
 */

const QUIET_MS = 30_000;

export class BurstWarning {
  private lastAt = -Infinity;
  private unsaid = 0;

  constructor(
    private readonly what: string,
    private readonly write: (line: string) => void = (line) => process.stderr.write(line + '\n'),
  ) {}

  warn(err: unknown): void {
    const now = Date.now();
    if (now - this.lastAt < QUIET_MS) {
      this.unsaid++;
      return;
    }
    const more = this.unsaid > 0 ? ` (and ${this.unsaid} more failures since the last warning)` : '';
    this.lastAt = now;
    this.unsaid = 0;
    this.write(`urbis: ${this.what}: ${err instanceof Error ? err.message : String(err)}${more}`);
  }
}
