/**
 * Starts a real Urbis server on a loopback port with a fresh SQLite file, for tests that go
 * through the HTTP API like any client.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { buildUrbis, type Urbis } from '../../src/server/app.js';
import type { Config } from '../../src/config.js';
import { inject } from 'vitest';
import { createTestDatabase } from './postgres.js';

export const API = '/ngsi-ld/v1';
export const CORE_V19 = 'https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.9.jsonld';
export const LINK_REL = 'http://www.w3.org/ns/json-ld#context';

export interface TestServer {
  urbis: Urbis;
  base: string;
  dataDir: string;
  /** fetch relative to the server root, JSON body by default. */
  request(method: string, url: string, opts?: RequestOptions): Promise<TestResponse>;
  close(): Promise<void>;
}

export interface RequestOptions {
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface TestResponse {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export function linkHeader(url: string): string {
  return `<${url}>; rel="${LINK_REL}"; type="application/ld+json"`;
}

/** A configuration for tests: loopback, silent, clean (see below), with a fresh data directory. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  const dataDir = overrides.dataDir ?? mkdtempSync(path.join(tmpdir(), 'urbis-test-'));
  return {
    host: '127.0.0.1',
    port: 0,
    dataDir,
    store: '',
    maxBody: 1024 * 1024,
    logLevel: 'silent',
    remoteContexts: false,
    // Tests start clean, without the demo city or MQTT, and (unless a test is about access
    // control) without access control, like `urbis start --no-demo --mqtt off --open`.
    demo: false,
    demoSeed: 42,
    demoRate: 1,
    mqtt: 'off',
    mqttPort: 1883,
    retention: '',
    open: true,
    // Notification endpoints that do not answer are given up on quickly.
    notifyTimeout: 2000,
    oidcIssuer: '',
    oidcClientId: '',
    oidcClientSecret: '',
    oidcRoleClaim: 'roles',
    oidcRoleMap: '',
    corsOrigins: [],
    rateLimit: 0,
    keyRateLimit: 0,
    https: false,
    mapTiles: '',
    mapAttribution: '',
    ...overrides,
  };
}

/**
 * True when this test run is the PostgreSQL one (vitest project "postgres"): servers started by
 * the helpers then keep their data in PostgreSQL instead of SQLite.
 */
export const onPostgres = process.env.URBIS_TEST_STORE === 'postgres';

/** The store of a server on `dataDir`: '' (SQLite) or, in the PostgreSQL run, its own database. */
export async function testStore(dataDir: string): Promise<string> {
  return onPostgres ? createTestDatabase(inject('postgresUrl'), dataDir) : '';
}

export async function startServer(overrides: Partial<Config> = {}): Promise<TestServer> {
  const config = testConfig(overrides);
  if (overrides.store === undefined) config.store = await testStore(config.dataDir);
  const dataDir = config.dataDir;
  const urbis = await buildUrbis(config);
  await urbis.app.listen({ host: '127.0.0.1', port: 0 });
  const port = (urbis.app.server.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}`;
  return {
    urbis,
    base,
    dataDir,
    async request(method, url, opts = {}) {
      const headers: Record<string, string> = { ...opts.headers };
      let body: string | undefined = opts.rawBody;
      if (opts.body !== undefined) {
        body = JSON.stringify(opts.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await fetch(base + url, { method, headers, body });
      const text = await res.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      return { status: res.status, headers: res.headers, text, json };
    },
    async close() {
      await urbis.close();
      if (!overrides.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
