/**
 * `urbis import FILE`: loads a CSV (with a mapping file) or GeoJSON file into the configured data
 * directory with the whole application wired (history and subscriptions see every entity),
 * writing in chunks with batch upsert, a progress bar on stderr (periodic lines when it is not a
 * terminal), and a summary of rows accepted and rejected with their reasons.
 * Exit code: 0 all accepted, 1 some rejected, 2 usage error.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, SETTINGS, resolveConfig } from '../../config.js';
import { buildUrbis } from '../../server/app.js';
import { EntityService } from '../../broker/entity-service.js';
import { withWriteOrigin } from '../../broker/origin.js';
import { userInfo } from 'node:os';
import { ContextResolver } from '../../broker/jsonld/context-resolver.js';
import { toNgsiError } from '../../errors.js';
import { csvRowToEntity, featureToEntity, MappingError, parseCsv, readMapping, type ImportMapping, type RowOutcome } from '../../ingest/bulk-import.js';
import { parseFlags } from '../flags.js';
import { Progress } from '../progress.js';
import { isArchive, ArchiveError } from '../../store/archive/format.js';
import { restoreInstance } from '../../store/archive/restore.js';
import { openStores } from '../../store/open.js';
import { storeLocation } from '../../identity/offline.js';
import type { Command } from '../command.js';

const EXTRA = [{ flag: '--mapping' }, { flag: '--type' }, { flag: '--tenant' }, { flag: '--context' }, { flag: '--chunk' }];
const DATA_FLAGS = SETTINGS.filter((s) => ['dataDir', 'store', 'logLevel', 'remoteContexts'].includes(s.key));

function readJsonFile(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read ${what} ${file}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${what} ${file} is not valid JSON: ${(err as Error).message}`);
  }
}

/** Rows as entities (or reasons), numbered from 1 (CSV: the first data row after the header is 1). */
function rowsOf(file: string, flags: Record<string, string>): { rows: RowOutcome[]; context?: string } {
  const ext = path.extname(file).toLowerCase();
  let mapping: ImportMapping | undefined;
  if (flags['--mapping']) {
    try {
      mapping = readMapping(readJsonFile(flags['--mapping'], 'the mapping file'));
    } catch (err) {
      if (err instanceof MappingError) throw new ConfigError(`mapping ${flags['--mapping']}: ${err.message}`);
      throw err;
    }
  }
  const context = flags['--context'] ?? mapping?.context;
  if (ext === '.csv') {
    if (!mapping) throw new ConfigError('a CSV file needs --mapping FILE (see urbis import --help)');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`);
    }
    const [header, ...data] = parseCsv(text);
    if (!header) throw new ConfigError(`${file} is empty`);
    const m = mapping;
    return { rows: data.map((cells) => csvRowToEntity(header, cells, m)), context };
  }
  if (ext === '.geojson' || ext === '.json') {
    const doc = readJsonFile(file, 'the GeoJSON file') as { type?: string; features?: unknown[] };
    if (doc?.type !== 'FeatureCollection' || !Array.isArray(doc.features)) throw new ConfigError(`${file} is not a GeoJSON FeatureCollection`);
    const type = flags['--type'] ?? mapping?.type;
    return { rows: doc.features.map((f) => featureToEntity(f, type)), context };
  }
  throw new ConfigError(`${file}: give a .csv (with --mapping) or a .geojson file`);
}

export const importCommand: Command = {
  name: 'import',
  usage: 'urbis import FILE [--mapping FILE] [options]',
  summary: 'load entities from CSV (with a mapping file) or GeoJSON, or restore an archive of urbis export',
  help: [
    'An archive written by urbis export is restored whole into an empty database (checked first:',
    'nothing is written from a damaged or truncated archive). Other files are loaded as entities.',
    'Options:',
    '  --mapping FILE     JSON mapping for CSV: {"id": "urn:ngsi-ld:T:{col}", "type": "T", "context": URL,',
    '                     "attributes": [{"column", "name", "type", "unitCode"}], "location": {"lat": col, "lon": col}}',
    '  --type TYPE        entity type of GeoJSON features (else the mapping\'s, else properties.type)',
    '  --context URL      @context of attribute names (preloaded Smart Data Models contexts work offline)',
    '  --tenant NAME      NGSI-LD tenant (default tenant when absent)',
    '  --chunk N          entities per batch upsert (default 500)',
    '  --data-dir DIR     data directory (as urbis start)',
    '  --store URL        PostgreSQL database (as urbis start)',
    'Exit code: 0 all rows accepted, 1 some rejected (listed with row numbers), 2 usage error.',
  ].join('\n'),
  async run(args) {
    const { flags, positional } = parseFlags(args, [...DATA_FLAGS, ...EXTRA]);
    if (positional.length !== 1) throw new ConfigError('give exactly one FILE to import (urbis import FILE [--mapping FILE])');
    if (await isArchive(positional[0])) return restoreArchive(positional[0], flags);
    const chunk = flags['--chunk'] === undefined ? 500 : Number(flags['--chunk']);
    if (!Number.isInteger(chunk) || chunk < 1 || chunk > 1000) throw new ConfigError('--chunk must be an integer from 1 to 1000');
    const tenant = flags['--tenant'] ?? '';
    const { rows, context } = rowsOf(positional[0], flags);
    const config = { ...resolveConfig({ '--log-level': 'warn', ...flags }), demo: false, mqtt: 'off' };
    const urbis = await buildUrbis(config);
    const resolver = new ContextResolver({ allowRemote: config.remoteContexts, fetchTimeoutMs: 5000, maxContextBytes: 1024 * 1024, cacheEntries: 20 });
    let ctx;
    try {
      ctx = await resolver.compile(context, tenant);
    } catch (err) {
      await urbis.close();
      throw new ConfigError(`@context ${context}: ${toNgsiError(err).detail}`);
    }
    const service = new EntityService(urbis.store);
    // Audited as the person running the command, like the other commands that change data.
    const origin = { actor: `cli:${userInfo().username}`, client: 'cli' };
    const rejected: Array<{ row: number; reason: string }> = [];
    let accepted = 0;
    const progress = new Progress(rows.length, 'rows', 'imported');
    try {
      for (let start = 0; start < rows.length; start += chunk) {
        const batch: Array<{ row: number; body: unknown }> = [];
        rows.slice(start, start + chunk).forEach((r, k) => {
          if (r.ok) batch.push({ row: start + k + 1, body: r.entity });
          else rejected.push({ row: start + k + 1, reason: r.reason });
        });
        if (batch.length > 0) {
          const { result } = await withWriteOrigin(origin, () => service.batchUpsert(tenant, batch.map((b) => ({ body: b.body, ctx })), 'update'));
          accepted += result.success.length;
          const byId = new Map<string, number[]>();
          batch.forEach((b) => byId.set((b.body as { id: string }).id, [...(byId.get((b.body as { id: string }).id) ?? []), b.row]));
          for (const e of result.errors) rejected.push({ row: byId.get(e.entityId)?.shift() ?? 0, reason: `${e.entityId}: ${e.error.detail ?? e.error.title}` });
        }
        progress.update(Math.min(rows.length, start + chunk));
      }
    } finally {
      await urbis.close();
    }
    rejected.sort((a, b) => a.row - b.row);
    const lines = [`${accepted} rows accepted, ${rejected.length} rejected (of ${rows.length})`, ...rejected.map((r) => `  row ${r.row}: ${r.reason}`)];
    process.stdout.write(lines.join('\n') + '\n');
    return rejected.length > 0 ? 1 : 0;
  },
};

/** Restores an archive of `urbis export` into the (empty) database of --data-dir or --store. */
async function restoreArchive(file: string, flags: Record<string, string>): Promise<number> {
  const stores = await openStores(storeLocation(flags));
  try {
    const checking = new Progress(undefined, 'records', 'checked');
    let writing: Progress | undefined;
    const trailer = await restoreInstance(stores, file, {
      checking: (n) => checking.update(n),
      writing: (n, total) => {
        if (!writing) {
          checking.end();
          writing = new Progress(total, 'records', 'restored');
        }
        if (n % 200 === 0 || n === total) writing.update(n);
      },
    });
    const counts = Object.entries(trailer.counts).map(([s, n]) => `  ${s.padEnd(18)} ${n}`);
    process.stdout.write(`restored ${file} into ${stores.location}\n${counts.join('\n')}\n`);
    return 0;
  } catch (err) {
    if (err instanceof ArchiveError) throw new ConfigError(err.message);
    throw err;
  } finally {
    await stores.close();
  }
}
