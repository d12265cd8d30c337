/**
 * Builds the operations centre (web/) with Vite into dist-web/ when dist-web/ is missing or older
 * than any file under web/ (run by `npm start` and the test set-up; `npm run build:web` forces it).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { build } from 'vite';

const root = path.resolve(import.meta.dirname, '..');
const web = path.join(root, 'web');
const out = path.join(root, 'dist-web', 'index.html');

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

const force = process.argv.includes('--force');
if (!force && existsSync(out) && statSync(out).mtimeMs >= newest(web)) {
  console.log('dist-web/ is up to date');
} else {
  await build({ configFile: path.join(web, 'vite.config.ts'), logLevel: 'warn' });
  console.log('built the operations centre into dist-web/');
}
