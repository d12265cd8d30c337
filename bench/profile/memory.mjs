// P7-like: resident memory (VmRSS) of a server over an existing data directory (for instance one
// loaded by `upsert.mjs 100000 --keep DIR`), idle, then after P3/P4-like queries and PATCHes, then
// idle again.
//   node bench/profile/memory.mjs DIR [queries=300]
import { readFileSync } from 'node:fs';
import { cityPoint, entityId, random, TYPES } from '../lib/city.mjs';
import { drive, startServer } from './lib.mjs';

const [dir, count = '300'] = process.argv.slice(2);
const rss = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
const server = await startServer({ dataDir: dir });
await new Promise((r) => setTimeout(r, 3000));
console.log(`started: ${rss(server.pid).toFixed(1)} MB`);
const rnd = random(5);
await drive(server.base, (k) => ['GET', `/ngsi-ld/v1/entities?type=${TYPES[k % 5]}&q=${encodeURIComponent(`temperature>=${(rnd() * 49 - 10).toFixed(2)};temperature<${(rnd() * 49 - 9).toFixed(2)}`)}&limit=100`], { concurrency: 4, count: Number(count), seconds: 600 });
await drive(server.base, (k) => ['GET', `/ngsi-ld/v1/entities?type=${TYPES[k % 5]}&georel=${encodeURIComponent('near;maxDistance==1000')}&geometry=Point&coordinates=${encodeURIComponent(JSON.stringify(cityPoint(rnd(), rnd())))}&limit=100`], { concurrency: 4, count: Number(count), seconds: 600 });
await drive(server.base, () => ['PATCH', `/ngsi-ld/v1/entities/${entityId(Math.floor(rnd() * 100000))}/attrs`, { temperature: { type: 'Property', value: 20, observedAt: new Date().toISOString() } }], { concurrency: 64, seconds: 5 });
console.log(`after queries and updates: ${rss(server.pid).toFixed(1)} MB`);
await new Promise((r) => setTimeout(r, 8000));
console.log(`idle 8 s: ${rss(server.pid).toFixed(1)} MB`);
await server.stop({ keep: true });
