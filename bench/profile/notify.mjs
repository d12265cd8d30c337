// P6 against a fresh server: the benchmark's scenario (bench/scenarios/p6-notifications.mjs: one
// subscription, PATCHes at a steady rate, an HTTP receiver in this process), optionally with the
// server under --cpu-prof.
//   node bench/profile/notify.mjs [rate=2000] [seconds=20] [--profile DIR]
import { HttpClient } from '../lib/load.mjs';
import { notifications } from '../scenarios/p6-notifications.mjs';
import { startServer } from './lib.mjs';

const rate = Number(process.argv[2] ?? 2000);
const seconds = Number(process.argv[3] ?? 20);
const pi = process.argv.indexOf('--profile');
const server = await startServer({ profileDir: pi > 0 ? process.argv[pi + 1] : undefined });
const client = new HttpClient(server.base, 256);
const f = await notifications({ sizes: { notifyRate: rate, notifySeconds: seconds }, client });
const { lost, p50, p95, p99, max, sentRate, achievedRate, notificationRequests, writeLatency } = f;
console.log(JSON.stringify({ lost, p50, p95, p99, max, sentRate, achievedRate, notificationRequests, writeLatency }));
client.close();
await server.stop();
