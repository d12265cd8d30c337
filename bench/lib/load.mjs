/**
 * The load generator: HTTP/1.1 over keep-alive connections (node:http Agent) from the benchmark
 * process to a server on loopback. Closed loop: a fixed number of requests in flight (each
 * connection sends its next request when the previous answer arrived), for a duration or a count.
 * Open loop: requests started at a fixed rate whatever the answers do. Every request's latency is
 * measured from just before it is written to the end of its response.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';

export class HttpClient {
  /** base: http://127.0.0.1:<port>; sockets: the most connections kept open at once. */
  constructor(base, sockets) {
    const url = new URL(base);
    this.host = url.hostname;
    this.port = Number(url.port);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
  }

  /**
   * Sends one request; resolves with { status, body } (body as text). body: a string (sent as
   * JSON unless headers say otherwise) or undefined.
   */
  request(method, path, body, headers = {}) {
    return new Promise((resolve, reject) => {
      const h = { ...headers };
      if (body !== undefined) {
        h['content-type'] ??= 'application/json';
        h['content-length'] = Buffer.byteLength(body);
      }
      const req = http.request({ host: this.host, port: this.port, method, path, agent: this.agent, headers: h }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode, body: text }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Like request, but rejects unless the status is 2xx. */
  async ok(method, path, body, headers) {
    const r = await this.request(method, path, body, headers);
    if (r.status < 200 || r.status > 299) throw new Error(`${method} ${path}: ${r.status} ${r.body.slice(0, 500)}`);
    return r;
  }

  close() {
    this.agent.destroy();
  }
}

/**
 * Closed loop: `concurrency` requests in flight until `durationMs` passed or `count` requests were
 * sent (whichever is given; both: the first reached). next(i) returns { method, path, body?,
 * headers? } for request i. onProgress(done) is called about every 250 ms.
 * Returns { requests, errors, firstError, seconds, rate, latencies }.
 */
export async function closedLoop(client, { concurrency, durationMs = Infinity, count = Infinity, next, onProgress }) {
  const latencies = [];
  let sent = 0;
  let completed = 0;
  let errors = 0;
  let firstError;
  const start = performance.now();
  const end = start + durationMs;
  const timer = onProgress ? setInterval(() => onProgress(completed), 250) : undefined;
  const worker = async () => {
    while (sent < count && performance.now() < end) {
      const r = next(sent++);
      const t0 = performance.now();
      try {
        const res = await client.request(r.method, r.path, r.body, r.headers);
        if (res.status < 200 || res.status > 299) {
          errors++;
          firstError ??= `${r.method} ${r.path}: ${res.status} ${res.body.slice(0, 300)}`;
        }
      } catch (e) {
        errors++;
        firstError ??= `${r.method} ${r.path}: ${e.message}`;
      }
      latencies.push(performance.now() - t0);
      completed++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  if (timer) clearInterval(timer);
  const seconds = (performance.now() - start) / 1000;
  return { requests: completed, errors, firstError, seconds, rate: completed / seconds, latencies };
}

/**
 * Open loop: starts request i at start + i/rate seconds (never earlier) until `durationMs` passed,
 * without waiting for earlier answers, except that at most `maxBacklog` requests are unanswered at
 * once (a server that cannot keep up then sets the pace; the rate achieved says so).
 * onAnswer(i, status, time) is called for each answer (time: the performance clock at the end of
 * the response). Returns { requests, errors, firstError, seconds (sending), rate (started per
 * second), answeredRate (answers per second until the last answer), latencies }.
 */
export async function openLoop(client, { rate, durationMs, maxBacklog, next, onAnswer, onProgress }) {
  const latencies = [];
  const pending = new Set();
  let errors = 0;
  let firstError;
  let answered = 0;
  let sent = 0;
  const start = performance.now();
  const end = start + durationMs;
  const timer = onProgress ? setInterval(() => onProgress(answered, sent), 250) : undefined;
  const answer = (i, t0, r, res) => {
    const t = performance.now();
    latencies.push(t - t0);
    answered++;
    if (res.status < 200 || res.status > 299) {
      errors++;
      firstError ??= `${r.method} ${r.path}: ${res.status} ${res.body.slice(0, 300)}`;
    }
    onAnswer?.(i, res.status, t);
  };
  for (let i = 0; ; i++) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    while (pending.size >= maxBacklog) await Promise.race(pending);
    if (performance.now() >= end) break;
    const r = next(i);
    const t0 = performance.now();
    const p = client.request(r.method, r.path, r.body, r.headers).then(
      (res) => answer(i, t0, r, res),
      (e) => {
        answered++;
        errors++;
        firstError ??= `${r.method} ${r.path}: ${e.message}`;
      },
    );
    pending.add(p);
    p.then(() => pending.delete(p));
    sent++;
  }
  const seconds = (performance.now() - start) / 1000;
  await Promise.all(pending);
  if (timer) clearInterval(timer);
  const answeredSeconds = (performance.now() - start) / 1000;
  return { requests: sent, errors, firstError, seconds, rate: sent / seconds, answeredRate: sent / answeredSeconds, latencies };
}
