/**
 * Urbis configuration: each setting comes from a command-line flag, then the matching
 * environment variable, then the default.
 */
import path from 'node:path';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /** '' for the embedded SQLite file in dataDir, or a postgres:// URL. */
  store: string;
  /** Largest accepted request body, in bytes. */
  maxBody: number;
  logLevel: LogLevel;
  /** Fetch @context URLs that are neither preloaded nor registered. */
  remoteContexts: boolean;
  /** Run the simulated demo city (issue 4). */
  demo: boolean;
  /** Seed of the demo city: the same seed gives the same city and the same events. */
  demoSeed: number;
  /** Speed of the demo city: simulated seconds per real second. */
  demoRate: number;
  /** MQTT: '' runs the in-process broker on mqttPort; 'off' disables MQTT; mqtt://host:port uses an external broker. */
  mqtt: string;
  /** Port of the in-process MQTT broker. */
  mqttPort: number;
  /** History retention per entity type, e.g. "Vehicle=30,*=365" (days); empty keeps everything. */
  retention: string;
  /** No access control (local development, conformance testing). */
  open: boolean;
  /** Longest wait for a notification endpoint to acknowledge (ms). */
  notifyTimeout: number;
  /** OpenID Connect single sign-on: issuer URL ('' disables), client id and secret. */
  oidcIssuer: string;
  oidcClientId: string;
  oidcClientSecret: string;
  /** Claim of an OIDC token that carries the user's groups or roles. */
  oidcRoleClaim: string;
  /** Claim value to Urbis role, e.g. "city-admins=admin,traffic=operator"; empty: values that are role names. */
  oidcRoleMap: string;
  /** Origins allowed to call the API from a browser (CORS), comma-separated. */
  corsOrigins: string[];
  /** Requests per minute per client address (0: no limit). */
  rateLimit: number;
  /** Requests per minute per API key or account (0: no limit). */
  keyRateLimit: number;
  /** Clients reach Urbis over HTTPS (a TLS-terminating proxy): send Strict-Transport-Security. */
  https: boolean;
  /** Raster tiles under the operations centre's map: an XYZ URL template; empty: none (offline). */
  mapTiles: string;
  /** Attribution shown with those tiles. */
  mapAttribution: string;
}

export interface Setting {
  key: keyof Config;
  flag: string;
  env: string;
  default: string;
  description: string;
  /** A switch: `--flag` alone means true, `--no-flag` false. */
  boolean?: true;
}

export const SETTINGS: Setting[] = [
  { key: 'host', flag: '--host', env: 'URBIS_HOST', default: '0.0.0.0', description: 'Address the HTTP server listens on' },
  { key: 'port', flag: '--port', env: 'URBIS_PORT', default: '1026', description: 'HTTP port (the NGSI-LD API is under /ngsi-ld/v1)' },
  { key: 'dataDir', flag: '--data-dir', env: 'URBIS_DATA_DIR', default: './data', description: 'Directory of the embedded store (urbis.db, SQLite in WAL mode)' },
  { key: 'store', flag: '--store', env: 'URBIS_STORE', default: '', description: 'Empty: the embedded SQLite file in --data-dir. postgres://user:pass@host/db: PostgreSQL 15 + PostGIS (several nodes may share it)' },
  { key: 'maxBody', flag: '--max-body', env: 'URBIS_MAX_BODY', default: '1mb', description: 'Largest request body accepted (bytes, or with kb/mb suffix)' },
  { key: 'logLevel', flag: '--log-level', env: 'URBIS_LOG_LEVEL', default: 'info', description: `Log level: ${LOG_LEVELS.join(', ')}` },
  { key: 'remoteContexts', flag: '--remote-contexts', env: 'URBIS_REMOTE_CONTEXTS', default: 'false', boolean: true, description: 'Allow fetching @context URLs that are not preloaded or registered' },
  { key: 'demo', flag: '--demo', env: 'URBIS_DEMO', default: 'true', boolean: true, description: 'Run the simulated demo city (--no-demo starts clean)' },
  { key: 'demoSeed', flag: '--demo-seed', env: 'URBIS_DEMO_SEED', default: '42', description: 'Seed of the demo city (same seed, same city and events)' },
  { key: 'demoRate', flag: '--demo-rate', env: 'URBIS_DEMO_RATE', default: '1', description: 'Speed of the demo city: simulated seconds per real second' },
  { key: 'mqtt', flag: '--mqtt', env: 'URBIS_MQTT', default: '', description: 'MQTT: empty runs the in-process broker, mqtt://host:port uses an external one, off disables' },
  { key: 'mqttPort', flag: '--mqtt-port', env: 'URBIS_MQTT_PORT', default: '1883', description: 'Port of the in-process MQTT broker' },
  { key: 'retention', flag: '--retention', env: 'URBIS_RETENTION', default: '', description: 'History kept per entity type in days, e.g. "Vehicle=30,*=365"; empty keeps everything' },
  { key: 'open', flag: '--open', env: 'URBIS_OPEN', default: 'false', boolean: true, description: 'Run WITHOUT access control (local development and conformance testing only)' },
  { key: 'notifyTimeout', flag: '--notify-timeout', env: 'URBIS_NOTIFY_TIMEOUT', default: '10000', description: 'Longest wait for a notification endpoint to acknowledge, in ms (then retried later)' },
  { key: 'oidcIssuer', flag: '--oidc-issuer', env: 'URBIS_OIDC_ISSUER', default: '', description: 'OpenID Connect issuer URL for single sign-on (empty: local accounts and API keys only)' },
  { key: 'oidcClientId', flag: '--oidc-client-id', env: 'URBIS_OIDC_CLIENT_ID', default: '', description: 'OIDC client id (the audience of accepted tokens)' },
  { key: 'oidcClientSecret', flag: '--oidc-client-secret', env: 'URBIS_OIDC_CLIENT_SECRET', default: '', description: 'OIDC client secret (web sign-in through the provider)' },
  { key: 'oidcRoleClaim', flag: '--oidc-role-claim', env: 'URBIS_OIDC_ROLE_CLAIM', default: 'roles', description: 'OIDC token claim holding groups or roles' },
  { key: 'oidcRoleMap', flag: '--oidc-role-map', env: 'URBIS_OIDC_ROLE_MAP', default: '', description: 'Claim value to role, e.g. "city-admins=admin,traffic=operator" (empty: values that are role names)' },
  { key: 'corsOrigins', flag: '--cors-origins', env: 'URBIS_CORS_ORIGINS', default: '', description: 'Origins allowed to call the API from browsers (CORS), comma-separated' },
  { key: 'rateLimit', flag: '--rate-limit', env: 'URBIS_RATE_LIMIT', default: '1200', description: 'Requests per minute per client address (0: no limit)' },
  { key: 'keyRateLimit', flag: '--key-rate-limit', env: 'URBIS_KEY_RATE_LIMIT', default: '6000', description: 'Requests per minute per API key or account (0: no limit)' },
  { key: 'https', flag: '--https', env: 'URBIS_HTTPS', default: 'false', boolean: true, description: 'Clients reach Urbis over HTTPS (TLS proxy): send Strict-Transport-Security' },
  { key: 'mapTiles', flag: '--map-tiles', env: 'URBIS_MAP_TILES', default: '', description: 'Raster tiles under the map of the operations centre, e.g. "https://tiles.example.org/{z}/{x}/{y}.png" (empty: the city geography only, offline)' },
  { key: 'mapAttribution', flag: '--map-attribution', env: 'URBIS_MAP_ATTRIBUTION', default: '', description: 'Attribution of those tiles, shown on the map' },
];

export class ConfigError extends Error {}

/** Parses "1048576", "512kb", "1mb" into bytes. */
export function parseSize(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(b|kb|k|mb|m|gb|g)?$/i.exec(text.trim());
  if (!m) throw new ConfigError(`${what}: "${text}" is not a size (examples: 1048576, 512kb, 1mb)`);
  const unit = (m[2] ?? 'b').toLowerCase();
  const factor = unit.startsWith('k') ? 1024 : unit.startsWith('m') ? 1024 ** 2 : unit.startsWith('g') ? 1024 ** 3 : 1;
  const bytes = Math.floor(Number(m[1]) * factor);
  if (bytes < 1024) throw new ConfigError(`${what}: ${bytes} bytes is too small (at least 1kb)`);
  return bytes;
}

function parsePort(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(`${what}: "${text}" is not a port number (0-65535)`);
  return n;
}

function parseNumber(text: string, what: string, min: number): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < min) throw new ConfigError(`${what}: "${text}" is not a number of at least ${min}`);
  return n;
}

function parseMqtt(text: string, what: string): string {
  if (text === '' || text === 'off' || /^mqtts?:\/\/[^/\s]+/.test(text)) return text;
  throw new ConfigError(`${what}: "${text}" is not empty, off, or an mqtt://host:port URL`);
}

function parseTileTemplate(text: string, what: string): string {
  if (text === '') return text;
  let url: URL | undefined;
  try {
    url = new URL(text.replace(/\{[xyz]\}/g, '0'));
  } catch {
    url = undefined;
  }
  if (!url || !/^https?:$/.test(url.protocol) || !['{z}', '{x}', '{y}'].every((p) => text.includes(p))) {
    throw new ConfigError(`${what}: "${text}" is not an http(s) tile URL template with {z}, {x} and {y}`);
  }
  return text;
}

function parseBool(text: string, what: string): boolean {
  if (/^(1|true|yes|on)$/i.test(text)) return true;
  if (/^(0|false|no|off)$/i.test(text)) return false;
  throw new ConfigError(`${what}: "${text}" is not true or false`);
}

/**
 * Resolves the configuration from already-split flags (`{"--port": "8080"}`) and an environment.
 * Throws ConfigError naming the flag or variable at fault.
 */
export function resolveConfig(flags: Record<string, string | undefined>, env: NodeJS.ProcessEnv = process.env): Config {
  const raw = (s: Setting): [string, string] => {
    if (flags[s.flag] !== undefined) return [flags[s.flag] as string, s.flag];
    if (env[s.env] !== undefined && env[s.env] !== '') return [env[s.env] as string, s.env];
    return [s.default, `default of ${s.flag}`];
  };
  const get = (key: keyof Config) => raw(SETTINGS.find((s) => s.key === key)!);
  // Each reader takes a setting's value and, for its error message, where the value came from.
  const text = (key: keyof Config) => get(key)[0];
  const read = <T>(key: keyof Config, parse: (value: string, from: string) => T): T => parse(...get(key));
  const bool = (key: keyof Config) => read(key, parseBool);
  const int = (key: keyof Config, min: number) => read(key, (v, from) => Math.floor(parseNumber(v, from, min)));
  const logLevel = read('logLevel', (v, from) => {
    if (!LOG_LEVELS.includes(v as LogLevel)) throw new ConfigError(`${from}: "${v}" is not a log level (${LOG_LEVELS.join(', ')})`);
    return v as LogLevel;
  });
  return {
    host: text('host'),
    port: read('port', parsePort),
    dataDir: path.resolve(text('dataDir')),
    store: read('store', parseStore),
    maxBody: read('maxBody', parseSize),
    logLevel,
    remoteContexts: bool('remoteContexts'),
    demo: bool('demo'),
    demoSeed: int('demoSeed', 0),
    demoRate: read('demoRate', (v, from) => parseNumber(v, from, 0.001)),
    mqtt: read('mqtt', parseMqtt),
    mqttPort: read('mqttPort', parsePort),
    retention: text('retention'),
    open: bool('open'),
    notifyTimeout: int('notifyTimeout', 1),
    oidcIssuer: text('oidcIssuer').replace(/\/+$/, ''),
    oidcClientId: text('oidcClientId'),
    oidcClientSecret: text('oidcClientSecret'),
    oidcRoleClaim: text('oidcRoleClaim'),
    oidcRoleMap: text('oidcRoleMap'),
    corsOrigins: text('corsOrigins').split(',').map((o) => o.trim()).filter((o) => o !== ''),
    rateLimit: int('rateLimit', 0),
    keyRateLimit: int('keyRateLimit', 0),
    https: bool('https'),
    mapTiles: read('mapTiles', parseTileTemplate),
    mapAttribution: text('mapAttribution'),
  };
}

function parseStore(v: string, from: string): string {
  if (v === '' || /^postgres(ql)?:\/\/./.test(v)) return v;
  throw new ConfigError(`${from}: "${v}" is not a store; give nothing for the embedded SQLite file, or a postgres:// URL`);
}
