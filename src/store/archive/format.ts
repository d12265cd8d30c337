/**
 * The Urbis archive: a whole instance (every tenant's entities, history, subscriptions and their
 * queues, contexts, accounts, keys, policies, audit log and devices) as one gzip-compressed file
 * of JSON lines, independent of the store it came from.
 *
 *   line 1      {"format":"urbis-archive","version":1,"createdAt":...,"source":{...}}
 *   lines 2..n  {"section":"entity","tenant":"",...}        one record per line
 *   last line   {"end":true,"counts":{section:n},"digests":{section:hex},"sha256":hex}
 *
 * `sha256` covers every byte before the last line, so a damaged or truncated file is refused
 * before anything is written. `digests` are per section and independent of record order (the
 * SHA-256 of the sorted SHA-256s of the records' canonical JSON): two archives of the same data
 * taken from different stores have the same digests, which is how a move is checked.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { createGunzip, createGzip } from 'node:zlib';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import type { Writable } from 'node:stream';

export const ARCHIVE_FORMAT = 'urbis-archive';
export const ARCHIVE_VERSION = 1;

/** The sections, in the order they are written and restored. */
export const SECTIONS = ['tenant', 'context', 'entity', 'temporalEntity', 'temporalInstances', 'subscription', 'queue', 'account', 'apiKey', 'policy', 'audit', 'service', 'device'] as const;
export type Section = (typeof SECTIONS)[number];

export interface ArchiveRecord {
  section: Section;
  [member: string]: unknown;
}

export interface ArchiveHeader {
  format: typeof ARCHIVE_FORMAT;
  version: number;
  createdAt: string;
  source: { store: string; urbis: string };
}

export interface ArchiveTrailer {
  end: true;
  counts: Partial<Record<Section, number>>;
  digests: Partial<Record<Section, string>>;
  sha256: string;
}

/** JSON with object keys sorted, so that equal data gives equal text whatever order it was built in. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Per-section counts and order-independent digests of records, as they are added. */
export class SectionDigests {
  readonly counts: Partial<Record<Section, number>> = {};
  private readonly hashes = new Map<Section, string[]>();

  add(record: ArchiveRecord): void {
    this.counts[record.section] = (this.counts[record.section] ?? 0) + 1;
    let list = this.hashes.get(record.section);
    if (!list) this.hashes.set(record.section, (list = []));
    list.push(sha256(canonicalJson(record)));
  }

  digests(): Partial<Record<Section, string>> {
    const out: Partial<Record<Section, string>> = {};
    for (const [section, list] of this.hashes) out[section] = sha256(list.sort().join('\n'));
    return out;
  }
}

/** Writes an archive file (mode 0600: it holds personal data and password hashes). */
export class ArchiveWriter {
  private readonly gzip = createGzip();
  private readonly out: Writable;
  private readonly hash = createHash('sha256');
  private readonly sections = new SectionDigests();
  private readonly done: Promise<unknown>;

  constructor(file: string, header: Omit<ArchiveHeader, 'format' | 'version'>) {
    this.out = createWriteStream(file, { mode: 0o600 });
    this.gzip.pipe(this.out);
    this.done = once(this.out, 'close');
    this.line({ format: ARCHIVE_FORMAT, version: ARCHIVE_VERSION, ...header });
  }

  private async line(value: unknown): Promise<void> {
    const text = JSON.stringify(value) + '\n';
    this.hash.update(text);
    if (!this.gzip.write(text)) await once(this.gzip, 'drain');
  }

  async write(record: ArchiveRecord): Promise<void> {
    this.sections.add(record);
    await this.line(record);
  }

  get counts(): Partial<Record<Section, number>> {
    return this.sections.counts;
  }

  /** Writes the trailer and closes the file. */
  async finish(): Promise<ArchiveTrailer> {
    const trailer: ArchiveTrailer = { end: true, counts: this.sections.counts, digests: this.sections.digests(), sha256: this.hash.digest('hex') };
    this.gzip.end(JSON.stringify(trailer) + '\n');
    await this.done;
    return trailer;
  }
}

export class ArchiveError extends Error {}

/**
 * The lines of an archive after its header, parsed and as text (throws ArchiveError on anything
 * but an Urbis archive); `onHeader` gets the header and its line.
 */
export async function* readArchive(file: string, onHeader: (h: ArchiveHeader, line: string) => void = () => {}): AsyncGenerator<{ value: ArchiveRecord | ArchiveTrailer; line: string }> {
  const lines = createInterface({ input: createReadStream(file).pipe(createGunzip()), crlfDelay: Infinity });
  let first = true;
  try {
    for await (const line of lines) {
      if (line === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        throw new ArchiveError(`${file} is damaged: a line is not JSON`);
      }
      if (first) {
        first = false;
        const h = value as ArchiveHeader;
        if (h?.format !== ARCHIVE_FORMAT) throw new ArchiveError(`${file} is not an Urbis archive`);
        if (h.version !== ARCHIVE_VERSION) throw new ArchiveError(`${file} is an archive of version ${h.version}; this Urbis reads version ${ARCHIVE_VERSION}`);
        onHeader(h, line);
        continue;
      }
      yield { value: value as ArchiveRecord | ArchiveTrailer, line };
    }
  } catch (err) {
    if (err instanceof ArchiveError) throw err;
    throw new ArchiveError(`${file} cannot be read: ${(err as Error).message}`);
  }
}

/** True when the file starts like a gzip-compressed Urbis archive. */
export async function isArchive(file: string): Promise<boolean> {
  try {
    for await (const _ of readArchive(file)) return true;
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads the whole archive once without writing anything: checks its SHA-256 and counts against
 * the trailer. Returns the header and trailer; throws ArchiveError when the file is damaged or cut.
 */
export async function verifyArchive(file: string, onProgress: (records: number) => void = () => {}): Promise<{ header: ArchiveHeader; trailer: ArchiveTrailer }> {
  const hash = createHash('sha256');
  const sections = new SectionDigests();
  let header: ArchiveHeader | undefined;
  let trailer: ArchiveTrailer | undefined;
  let n = 0;
  for await (const { value, line } of readArchive(file, (h, text) => {
    header = h;
    hash.update(text + '\n');
  })) {
    if (trailer) throw new ArchiveError(`${file} is damaged: there is data after its end`);
    if ((value as ArchiveTrailer).end === true) {
      trailer = value as ArchiveTrailer;
      continue;
    }
    const record = value as ArchiveRecord;
    if (!SECTIONS.includes(record.section)) throw new ArchiveError(`${file} is damaged: unknown section "${String(record.section)}"`);
    hash.update(line + '\n');
    sections.add(record);
    if (++n % 10_000 === 0) onProgress(n);
  }
  if (!header) throw new ArchiveError(`${file} is empty`);
  if (!trailer) throw new ArchiveError(`${file} is truncated: it has no end record (was the export interrupted?)`);
  if (hash.digest('hex') !== trailer.sha256) throw new ArchiveError(`${file} is damaged: its SHA-256 does not match the one recorded at its end`);
  for (const s of SECTIONS) {
    if ((sections.counts[s] ?? 0) !== (trailer.counts[s] ?? 0)) throw new ArchiveError(`${file} is damaged: ${sections.counts[s] ?? 0} ${s} records, ${trailer.counts[s] ?? 0} expected`);
  }
  onProgress(n);
  return { header, trailer };
}
