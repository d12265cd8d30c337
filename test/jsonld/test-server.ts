/** A local HTTP server on 127.0.0.1 serving context documents for resolver tests. */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Route {
  status?: number;
  /** JSON-serialized unless a string. */
  body?: unknown;
  /** Never answer (to test timeouts). */
  hang?: boolean;
}

export class TestServer {
  readonly routes = new Map<string, Route>();
  readonly hits = new Map<string, number>();
  #server: Server | undefined;
  #hanging = new Set<ServerResponse>();
  base = '';

  async start(): Promise<this> {
    this.#server = createServer((req, res) => {
      const path = req.url ?? '/';
      this.hits.set(path, (this.hits.get(path) ?? 0) + 1);
      const route = this.routes.get(path);
      if (!route) {
        res.writeHead(404).end('not found');
      } else if (route.hang) {
        this.#hanging.add(res);
      } else {
        const body = typeof route.body === 'string' ? route.body : JSON.stringify(route.body);
        res.writeHead(route.status ?? 200, { 'content-type': 'application/ld+json' }).end(body);
      }
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  /** Serves `doc` at `path` and returns its URL. */
  serve(path: string, route: Route): string {
    this.routes.set(path, route);
    return this.base + path;
  }

  async stop(): Promise<void> {
    for (const res of this.#hanging) res.destroy();
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()) ?? resolve());
  }
}
