/**
 * The HTTP ceiling: requests per second of the hello-world Fastify server (its own process)
 * under the benchmark's load generator, with the concurrency P2 uses, after the same warm-up.
 */
import { closedLoop, HttpClient } from '../lib/load.mjs';
import { startHelloWorld } from '../lib/processes.mjs';
import { n, update } from '../lib/progress.mjs';
import { latencySummary, round } from '../lib/stats.mjs';

export async function helloWorldCeiling({ concurrency, rateSeconds }) {
  const server = await startHelloWorld();
  const client = new HttpClient(server.base, concurrency);
  try {
    const next = () => ({ method: 'GET', path: '/' });
    await closedLoop(client, { concurrency, durationMs: (rateSeconds * 1000) / 10, next });
    const r = await closedLoop(client, { concurrency, durationMs: rateSeconds * 1000, next, onProgress: (done) => update(`hello-world ${n(done)} requests`) });
    if (r.errors > 0) throw new Error(`hello-world server: ${r.errors} failed requests; first: ${r.firstError}`);
    return { rate: r.rate, concurrency, seconds: round(r.seconds, 2), ...latencySummary(r.latencies) };
  } finally {
    client.close();
    await server.stop();
  }
}
