import { test } from 'vitest';
import { ContextResolver } from '../../src/broker/jsonld/context-resolver.js';
test('smoke', async () => {
const r = new ContextResolver({ allowRemote: false, fetchTimeoutMs: 1000, maxContextBytes: 1e6, cacheEntries: 10 });
for (const n of [200, 1000, 2000]) {
let t = performance.now();
for (let i = 0; i < n; i++) await r.compile([{ a: 'http://x/' + n + '/' + i }, 'https://raw.githubusercontent.com/smart-data-models/dataModel.Transportation/master/context.jsonld'], 't');
console.log('compile ms', (performance.now() - t) / n);
}
let t = performance.now();
for (let i = 0; i < 1000; i++) await r.compile([{ a: 'http://y/' + i }], 't');
console.log('compile core only ms', (performance.now() - t) / 1000);
});
