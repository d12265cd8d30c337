// Prints the top self-time functions and modules of the .cpuprofile files in a directory.
//   node bench/profile/summary.mjs DIR [n=30]
import { summariseByFile, summariseProfiles } from './lib.mjs';

const [dir, n = '30'] = process.argv.slice(2);
const s = summariseProfiles(dir, Number(n));
console.log(`sampled ${(s.totalMs / 1000).toFixed(1)} s`);
for (const t of s.top) console.log(`${t.share.toFixed(1).padStart(5)}% ${t.selfMs.toFixed(0).padStart(7)} ms  ${t.fn}`);
console.log('-- by module');
for (const f of summariseByFile(dir, 20)) console.log(`${f.share.toFixed(1).padStart(5)}%  ${f.file}`);
