/**
 * A real HTTP notification receiver on loopback for the subscription tests: collects every
 * request (headers and parsed body), and can answer 2xx, fail with a status, or hang.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: any;
}

export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  /** 'ok' answers 204, a number answers that status, 'hang' never answers. */
  mode: 'ok' | 'hang' | number;
  /** Resolves when `predicate` holds for the received requests (polls; rejects after timeoutMs). */
  waitFor(predicate: (r: Received[]) => boolean, timeoutMs?: number, what?: string): Promise<Received[]>;
  /** Every data item received so far, in order. */
  data(): any[];
  close(): Promise<void>;
}

export async function startReceiver(port = 0): Promise<Receiver> {
  const hanging: http.ServerResponse[] = [];
  const r: Receiver = {
    url: '',
    port: 0,
    received: [],
    mode: 'ok',
    async waitFor(predicate, timeoutMs = 15_000, what = 'the expected notifications') {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(r.received)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; received ${JSON.stringify(r.received.map((x) => x.body), null, 1).slice(0, 3000)}`);
        await new Promise((res) => setTimeout(res, 20));
      }
      return r.received;
    },
    data: () => r.received.flatMap((x) => x.body?.data ?? []),
    close: () =>
      new Promise<void>((res) => {
        for (const h of hanging) h.destroy();
        server.closeAllConnections();
        server.close(() => res());
      }),
  };
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', () => {
      if (r.mode === 'hang') {
        hanging.push(res);
        return;
      }
      if (r.mode === 'ok') {
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
        r.received.push({ path: req.url ?? '', headers: req.headers, body });
        res.writeHead(204).end();
      } else {
        res.writeHead(r.mode).end();
      }
    });
  });
  await new Promise<void>((res) => server.listen(port, '127.0.0.1', () => res()));
  r.port = (server.address() as AddressInfo).port;
  r.url = `http://127.0.0.1:${r.port}/notify`;
  return r;
}
