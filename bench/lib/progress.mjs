/**
 * Progress on the terminal while the benchmark runs (stderr, so the table on stdout stays clean):
 * on a TTY one line rewritten in place, otherwise a line every few seconds.
 */
const tty = process.stderr.isTTY === true;
let current = '';
let lastLine = 0;

/** Starts a step (printed on its own line). */
export function step(text) {
  clear();
  process.stderr.write(`${text}\n`);
}

/** Updates the progress of the current step, e.g. "loading 12,000/100,000 entities". */
export function update(text) {
  if (tty) {
    current = `  ${text}`;
    process.stderr.write(`\r\x1b[2K${current}`);
  } else if (Date.now() - lastLine > 5000) {
    lastLine = Date.now();
    process.stderr.write(`  ${text}\n`);
  }
}

/** Ends the current step's progress line with a result. */
export function done(text) {
  clear();
  process.stderr.write(`  ${text}\n`);
  lastLine = 0;
}

function clear() {
  if (tty && current) process.stderr.write('\r\x1b[2K');
  current = '';
}

/** 12345 → "12,345". */
export const n = (x) => Math.round(x).toLocaleString('en-US');
