/**
 * A JSON-LD 1.1 context compiled into term maps, so that expanding an NGSI-LD term or compacting
 * an IRI is a Map look-up instead of a run of a general JSON-LD processor.
 *
 * {@link CompiledContext.compile} runs the JSON-LD 1.1 Context Processing algorithm (Create Term
 * Definition, including @protected, @prefix, @vocab, compact IRIs in @id and term dependencies)
 * over an already resolved list of local contexts; the results are meant to agree with jsonld.js 8
 * (see test/jsonld). Term-scoped contexts (`@context` inside a term definition) are kept for the
 * protected-term comparison only: they do not affect the names of entity attributes.
 *
 * Processing a long-lived local context (a builtin, registered or fetched document) is memoized:
 * its term definitions are computed once in isolation and merged into the active context, unless
 * they depend on terms or the @vocab of the contexts before it (then it is processed in place).
 * This keeps compiling [inline context, SDM context, core context] at a few tens of microseconds.
 *
 * Compaction follows jsonld.js's IRI Compaction: (1) a term selected through the inverse context,
 * (2) else the suffix after @vocab if that suffix is not itself a term, (3) else the shortest
 * (then lexicographically least) usable compact IRI `prefix:suffix`, (4) else the IRI itself.
 * Term selection (1) depends on the value the IRI is the key of:
 * - attribute names ({@link CompiledContext.compactIri}): the value is an NGSI-LD attribute, i.e.
 *   a node object without @id/@index. Candidate containers in order of preference are
 *   @id, @id@set, @type, @set@type, @set, @none, @index, @index@set; within a container a term
 *   whose @type is `@id` is preferred, then a term without @type coercion. Terms with @type
 *   `@vocab`, `@json`, a datatype IRI, @language/@direction, or an @list/@language container are
 *   never selected for an attribute name. Among equals, the shortest then least term wins.
 * - entity types and VocabProperty values ({@link CompiledContext.compactType}): there is no
 *   value; containers @set then @none, same @type preferences.
 */
import { badRequest } from '../../errors.js';

/** One processed term definition; keys are present only when set, as in jsonld.js (this matters
 * for the protected-term comparison). */
interface TermDefinition {
  id?: string | null;
  reverse: boolean;
  hasColon: boolean;
  prefix?: boolean;
  protected?: boolean;
  type?: string;
  container?: string[];
  index?: string;
  context?: unknown;
  language?: string | null;
  direction?: string | null;
  nest?: string;
}

/** A local context ready for processing: an object, or null (reset); `source` names it in errors. */
export interface LocalContext {
  readonly context: Readonly<Record<string, unknown>> | null;
  readonly source: string;
  /**
   * The object is a long-lived document (builtin, registered or cached), never mutated: its
   * processing is memoized by object identity (see {@link digestOf}).
   */
  readonly shared?: boolean;
}

/** What the resolver tells a compiled context about where it came from. */
export interface CompiledContextMeta {
  /** The original @context value (for application/ld+json responses). */
  readonly contextValue: unknown;
  /** The URL for a Link header when the @context is a single URL. */
  readonly linkUrl: string | undefined;
  /** A stable identification of the @context value. */
  readonly key: string;
}

interface ActiveContext {
  terms: Map<string, TermDefinition>;
  vocab?: string;
  /** Protected terms exist: a null context may not reset them. */
  hasProtected: boolean;
  language?: string;
  direction?: string;
  /** Only while digesting a shared local context in isolation: terms read but not defined by it. */
  reads?: Set<string>;
  /** Only while digesting: @vocab was needed before the local context set one. */
  vocabMissing?: boolean;
}

/**
 * The effect of one shared local context, computed once in isolation (from an empty active
 * context). It can be merged into any active context that does not define any of `reads`: the
 * definitions then come out the same as processing the local context there would give.
 */
interface Digest {
  readonly terms: ReadonlyMap<string, TermDefinition>;
  readonly reads: ReadonlySet<string>;
  readonly hasProtected: boolean;
  readonly vocab?: string;
  readonly language?: string;
  readonly direction?: string;
}

const KEYWORDS = new Set([
  '@base', '@container', '@context', '@default', '@direction', '@embed', '@explicit', '@graph',
  '@id', '@included', '@index', '@json', '@language', '@list', '@nest', '@none', '@omitDefault',
  '@prefix', '@preserve', '@protected', '@requireAll', '@reverse', '@set', '@type', '@value',
  '@version', '@vocab',
]);
const KEYWORD_FORM = /^@[a-zA-Z]+$/;
const ABSOLUTE_IRI = /^([A-Za-z][A-Za-z0-9+-.]*|_):[^\s]*$/;
const GEN_DELIM_END = /[:/?#[\]@]$/;
const TERM_DEFINITION_KEYS = new Set([
  '@container', '@id', '@language', '@reverse', '@type', '@context', '@direction', '@index',
  '@nest', '@prefix', '@protected',
]);
const VALID_CONTAINERS = new Set(['@list', '@set', '@index', '@language', '@graph', '@id', '@type']);
/** Container preferences of jsonld.js term selection, for a node-object value and for no value. */
const NODE_CONTAINERS = ['@id', '@id@set', '@type', '@set@type', '@set', '@none', '@index', '@index@set'];
const NO_VALUE_CONTAINERS = ['@set', '@none'];
/** @type preferences for both cases (no @id in the value). */
const TYPE_PREFERENCES = ['@id', '@none'];
const MEMO_LIMIT = 4096;

const isKeyword = (v: string) => KEYWORDS.has(v);
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);
const shortestLeast = (a: string, b: string) =>
  a.length - b.length || (a === b ? 0 : a < b ? -1 : 1);

/** The @context that was compiled, ready for expansion and compaction of NGSI-LD terms. */
export class CompiledContext {
  readonly contextValue: unknown;
  readonly linkUrl: string | undefined;
  readonly key: string;
  readonly #terms: Map<string, TermDefinition>;
  readonly #vocab: string | undefined;
  #inverse: Map<string, Map<string, Map<string, string>>> | undefined;
  /** [prefix IRI, terms usable as prefix for it], for compact IRI candidates. */
  #prefixes: Array<[string, string[]]> | undefined;
  readonly #expandMemo = new Map<string, string>();
  readonly #compactNodeMemo = new Map<string, string>();
  readonly #compactTypeMemo = new Map<string, string>();

  private constructor(active: ActiveContext, meta: CompiledContextMeta) {
    this.#terms = active.terms;
    this.#vocab = active.vocab;
    this.contextValue = meta.contextValue;
    this.linkUrl = meta.linkUrl;
    this.key = meta.key;
  }

  /**
   * Runs JSON-LD 1.1 context processing over `locals` in order (a null entry resets the context).
   * Throws BadRequestData naming the context and term for an invalid context, including the
   * redefinition of a protected term.
   */
  static compile(locals: readonly LocalContext[], meta: CompiledContextMeta): CompiledContext {
    let active: ActiveContext = { terms: new Map(), hasProtected: false };
    for (const local of locals) {
      if (local.context === null) {
        if (active.hasProtected) {
          throw invalid(local.source, 'a null @context cannot reset a context that has protected terms');
        }
        active = { terms: new Map(), hasProtected: false };
      } else {
        const digest = local.shared ? digestOf(local.context, local.source) : undefined;
        if (digest && ![...digest.reads].some((name) => active.terms.has(name))) {
          mergeDigest(active, digest, local.context, local.source);
        } else {
          processLocalContext(active, local.context, local.source);
        }
      }
    }
    return new CompiledContext(active, meta);
  }

  /**
   * Expands an attribute name, sub-attribute name or entity type (IRI expansion relative to
   * @vocab): a term, a compact IRI whose prefix is a prefix term, an absolute IRI (kept), or else
   * @vocab + term. Keywords and keyword aliases expand to the keyword. Throws BadRequestData for
   * a term the context maps to null or a string of keyword form (jsonld.js would drop them).
   */
  expandTerm(term: string): string {
    let iri = this.#expandMemo.get(term);
    if (iri === undefined) {
      iri = this.#expand(term);
      remember(this.#expandMemo, term, iri);
    }
    return iri;
  }

  /** Expands VocabProperty `vocab` value(s): vocab-relative IRI expansion, like @type values. */
  expandVocabValue<T extends string | string[]>(v: T): T {
    return (Array.isArray(v) ? v.map((s) => this.expandTerm(s)) : this.expandTerm(v)) as T;
  }

  /**
   * Compacts an expanded attribute or sub-attribute name as jsonld.js does when it compacts an
   * NGSI-LD entity (the value under the name is a node object); see the module comment.
   */
  compactIri(iri: string): string {
    let term = this.#compactNodeMemo.get(iri);
    if (term === undefined) {
      term = this.#compact(iri, false);
      remember(this.#compactNodeMemo, iri, term);
    }
    return term;
  }

  /** Compacts an entity type IRI (or any @type / @vocab-coerced value): compaction without value. */
  compactType(iri: string): string {
    let term = this.#compactTypeMemo.get(iri);
    if (term === undefined) {
      term = this.#compact(iri, true);
      remember(this.#compactTypeMemo, iri, term);
    }
    return term;
  }

  /** Compacts VocabProperty `vocab` value(s), as jsonld.js compacts @type: @vocab values. */
  compactVocabValue<T extends string | string[]>(v: T): T {
    return (Array.isArray(v) ? v.map((s) => this.compactType(s)) : this.compactType(v)) as T;
  }

  #expand(term: string): string {
    if (isKeyword(term)) return term;
    if (KEYWORD_FORM.test(term)) {
      throw badRequest(`"${term}" has the form of a JSON-LD keyword and cannot be used as a name`, term);
    }
    const def = this.#terms.get(term);
    if (def && 'id' in def) {
      if (def.id === null || def.id === undefined) {
        throw badRequest(`The term "${term}" is mapped to null by the @context and cannot be used`, term);
      }
      return def.id;
    }
    const expanded = expandCompactIri(term, (name) => this.#terms.get(name));
    if (expanded !== undefined) return expanded;
    return this.#vocab !== undefined ? this.#vocab + term : term;
  }

  #compact(iri: string, noValue: boolean): string {
    const inverse = this.#inverseContext();
    const entry = inverse.get(iri);
    if (isKeyword(iri)) return entry?.get('@none')?.get('@none') ?? iri;
    if (entry) {
      for (const container of noValue ? NO_VALUE_CONTAINERS : NODE_CONTAINERS) {
        const byType = entry.get(container);
        if (!byType) continue;
        for (const pref of TYPE_PREFERENCES) {
          const term = byType.get(pref);
          if (term !== undefined) return term;
        }
      }
    }
    const vocab = this.#vocab;
    if (vocab !== undefined && iri.startsWith(vocab) && iri !== vocab) {
      const suffix = iri.slice(vocab.length);
      if (!this.#terms.has(suffix)) return suffix;
    }
    let choice: string | undefined;
    for (const [prefixIri, terms] of this.#prefixes!) {
      if (iri.length <= prefixIri.length || !iri.startsWith(prefixIri)) continue;
      const rest = iri.slice(prefixIri.length);
      for (const term of terms) {
        const curie = `${term}:${rest}`;
        const existing = this.#terms.get(curie);
        const usable = existing === undefined || (noValue && existing.id === iri);
        if (usable && (choice === undefined || shortestLeast(curie, choice) < 0)) choice = curie;
      }
    }
    // jsonld.js throws "IRI confused with prefix" when no compact form exists and the IRI starts
    // with `prefix:`; the broker returns the IRI unchanged instead of failing the response.
    return choice ?? iri;
  }

  /** The inverse context (IRI -> container -> @type preference -> term), built on first use. */
  #inverseContext(): Map<string, Map<string, Map<string, string>>> {
    if (this.#inverse) return this.#inverse;
    const inverse = new Map<string, Map<string, Map<string, string>>>();
    const prefixTerms = new Map<string, string[]>();
    const firstTermHasNoColon = new Set<string>();
    for (const term of [...this.#terms.keys()].sort(shortestLeast)) {
      const def = this.#terms.get(term)!;
      const iri = def.id;
      if (iri === null || iri === undefined) continue;
      let entry = inverse.get(iri);
      if (!entry) {
        entry = new Map();
        inverse.set(iri, entry);
        if (!isKeyword(iri) && !def.hasColon) firstTermHasNoColon.add(iri);
      }
      if (def.prefix && !def.hasColon && firstTermHasNoColon.has(iri)) {
        const list = prefixTerms.get(iri);
        if (list) list.push(term);
        else prefixTerms.set(iri, [term]);
      }
      const container = def.container ? [...def.container].sort().join('') : '@none';
      let byType = entry.get(container);
      if (!byType) {
        byType = new Map();
        entry.set(container, byType);
      }
      const pref = def.reverse
        ? '@reverse'
        : def.type !== undefined
          ? def.type
          : 'language' in def || 'direction' in def
            ? undefined
            : '@none';
      if (pref !== undefined && !byType.has(pref)) byType.set(pref, term);
    }
    this.#prefixes = [...prefixTerms];
    this.#inverse = inverse;
    return inverse;
  }
}

function remember(memo: Map<string, string>, key: string, value: string): void {
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(key, value);
}

const invalid = (source: string, message: string) =>
  badRequest(`Invalid JSON-LD @context (${source}): ${message}`);

/** `prefix:suffix` with a prefix term, or an absolute IRI / blank node; undefined otherwise. */
function expandCompactIri(
  value: string,
  termOf: (name: string) => TermDefinition | undefined,
): string | undefined {
  const colon = value.indexOf(':');
  if (colon <= 0) return undefined;
  const prefix = value.slice(0, colon);
  const suffix = value.slice(colon + 1);
  if (prefix === '_' || suffix.startsWith('//')) return value;
  const def = termOf(prefix);
  if (def?.prefix) return def.id + suffix;
  return ABSOLUTE_IRI.test(value) ? value : undefined;
}

const digests = new WeakMap<object, Digest | null>();

/** The memoized digest of a shared local context; null if it cannot be processed in isolation. */
function digestOf(ctx: Readonly<Record<string, unknown>>, source: string): Digest | null {
  let digest = digests.get(ctx);
  if (digest !== undefined) return digest;
  const isolated: ActiveContext = { terms: new Map(), hasProtected: false, reads: new Set() };
  try {
    processLocalContext(isolated, ctx, source);
    const { terms, reads, hasProtected, vocab, language, direction } = isolated;
    digest = isolated.vocabMissing ? null : { terms, reads: reads!, hasProtected, vocab, language, direction };
  } catch {
    digest = null; // processing it in place will report the error
  }
  digests.set(ctx, digest);
  return digest;
}

/** Applies a digest as processLocalContext(active, ctx) would, protected-term checks included. */
function mergeDigest(active: ActiveContext, digest: Digest, ctx: Readonly<Record<string, unknown>>, source: string) {
  if ('@vocab' in ctx) setOrDelete(active, 'vocab', digest.vocab);
  if ('@language' in ctx) setOrDelete(active, 'language', digest.language);
  if ('@direction' in ctx) setOrDelete(active, 'direction', digest.direction);
  for (const [term, def] of digest.terms) {
    const previous = active.terms.get(term);
    if (previous?.protected) {
      if (!sameDefinition(previous, def.protected ? def : { ...def, protected: true })) throw protectedRedefinition(source, term);
    } else {
      active.terms.set(term, def);
    }
  }
  if (digest.hasProtected) active.hasProtected = true;
}

function setOrDelete(active: ActiveContext, key: 'vocab' | 'language' | 'direction', value: string | undefined) {
  if (value === undefined) delete active[key];
  else active[key] = value;
}

const protectedRedefinition = (source: string, term: string) =>
  invalid(
    source,
    `term "${term}": a protected term cannot be redefined (the NGSI-LD core context and protected contexts fix their terms)`,
  );

/** A term definition of `active` as read by the processing of another term. */
function termOf(active: ActiveContext, name: string): TermDefinition | undefined {
  const def = active.terms.get(name);
  if (def === undefined) active.reads?.add(name);
  return def;
}

/** The @vocab of `active` as read by the processing of a term. */
function vocabOf(active: ActiveContext): string | undefined {
  if (active.vocab === undefined && active.reads) active.vocabMissing = true;
  return active.vocab;
}

/** One step of context processing: applies the local context object to `active` in place. */
function processLocalContext(active: ActiveContext, ctx: Readonly<Record<string, unknown>>, source: string): void {
  const defined = new Map<string, boolean>();
  const state: ProcessingState = { active, ctx, defined, source };
  if ('@version' in ctx) {
    if (ctx['@version'] !== 1.1) throw invalid(source, `unsupported @version ${JSON.stringify(ctx['@version'])}`);
    defined.set('@version', true);
  }
  if ('@base' in ctx) defined.set('@base', true);
  if ('@vocab' in ctx) {
    const value = ctx['@vocab'];
    if (value === null) delete active.vocab;
    else if (typeof value !== 'string') throw invalid(source, '@vocab must be a string or null');
    // expanded against the terms defined so far, not those of this local context (as jsonld.js)
    else active.vocab = expandIri({ ...state, ctx: {} }, value) ?? undefined;
    defined.set('@vocab', true);
  }
  if ('@language' in ctx) {
    const value = ctx['@language'];
    if (value === null) delete active.language;
    else if (typeof value !== 'string') throw invalid(source, '@language must be a string or null');
    else active.language = value.toLowerCase();
    defined.set('@language', true);
  }
  if ('@direction' in ctx) {
    const value = ctx['@direction'];
    if (value === null) delete active.direction;
    else if (value !== 'ltr' && value !== 'rtl') throw invalid(source, '@direction must be null, "ltr" or "rtl"');
    else active.direction = value;
    defined.set('@direction', true);
  }
  if ('@propagate' in ctx) {
    if (typeof ctx['@propagate'] !== 'boolean') throw invalid(source, '@propagate must be a boolean');
    defined.set('@propagate', true);
  }
  if ('@import' in ctx) defined.set('@import', true);
  defined.set('@protected', ctx['@protected'] === true);
  for (const term in ctx) defineTerm(state, term);
}

interface ProcessingState {
  active: ActiveContext;
  ctx: Readonly<Record<string, unknown>>;
  defined: Map<string, boolean>;
  source: string;
}

/** IRI expansion during context processing (vocab-relative, never base-relative). */
function expandIri(state: ProcessingState, value: string): string | null {
  if (isKeyword(value)) return value;
  if (KEYWORD_FORM.test(value)) return null;
  const { active, ctx, defined } = state;
  if (hasOwn(ctx, value) && defined.get(value) !== true) defineTerm(state, value);
  const def = termOf(active, value);
  if (def && 'id' in def) return def.id ?? null;
  const colon = value.indexOf(':');
  if (colon > 0) {
    const prefix = value.slice(0, colon);
    if (prefix !== '_' && !value.startsWith('//', colon + 1) && hasOwn(ctx, prefix)) defineTerm(state, prefix);
  }
  const expanded = expandCompactIri(value, (name) => termOf(active, name));
  if (expanded !== undefined) return expanded;
  const vocab = vocabOf(active);
  return vocab !== undefined ? vocab + value : value;
}

/** JSON-LD 1.1 Create Term Definition (as jsonld.js implements it, in json-ld-1.1 mode). */
function defineTerm(state: ProcessingState, term: string): void {
  const { active, ctx, defined, source } = state;
  const where = (msg: string) => invalid(source, `term "${term}": ${msg}`);
  if (defined.has(term)) {
    if (defined.get(term)) return;
    throw where('cyclic IRI mapping');
  }
  defined.set(term, false);
  let value = hasOwn(ctx, term) ? ctx[term] : undefined;

  if (term === '@type' && isObject(value) && (value['@container'] ?? '@set') === '@set') {
    const keys = Object.keys(value);
    if (keys.length === 0 || keys.some((k) => k !== '@container' && k !== '@id' && k !== '@protected')) {
      throw where('keywords cannot be redefined');
    }
  } else if (isKeyword(term)) {
    throw where('keywords cannot be redefined');
  } else if (KEYWORD_FORM.test(term)) {
    return; // reserved for future keywords: ignored
  } else if (term === '') {
    throw invalid(source, 'a term cannot be the empty string');
  }

  const previous = active.terms.get(term);
  active.terms.delete(term);
  const restorePrevious = () => {
    if (previous) active.terms.set(term, previous);
  };
  let simpleTerm = false;
  if (typeof value === 'string' || value === null) {
    simpleTerm = true;
    value = { '@id': value };
  }
  if (!isObject(value)) throw where('a term definition must be a string, null or an object');
  const mapping: TermDefinition = { reverse: false, hasColon: false };
  active.terms.set(term, mapping);
  for (const kw of Object.keys(value)) {
    if (!TERM_DEFINITION_KEYS.has(kw)) throw where(`a term definition must not contain ${kw}`);
  }
  const colon = term.indexOf(':');
  mapping.hasColon = colon > 0;

  if ('@reverse' in value) {
    if ('@id' in value || '@nest' in value) throw where('a @reverse term definition must not contain @id or @nest');
    const reverse = value['@reverse'];
    if (typeof reverse !== 'string') throw where('@reverse must be a string');
    if (KEYWORD_FORM.test(reverse)) {
      active.terms.delete(term);
      restorePrevious();
      return;
    }
    const id = expandIri(state, reverse);
    if (id === null || !ABSOLUTE_IRI.test(id)) throw where(`@reverse "${reverse}" does not expand to an absolute IRI`);
    mapping.id = id;
    mapping.reverse = true;
  } else if ('@id' in value) {
    const id = value['@id'];
    if (id !== null && typeof id !== 'string') throw where('@id must be a string or null');
    if (id === null) {
      mapping.id = null;
    } else if (!isKeyword(id) && KEYWORD_FORM.test(id)) {
      active.terms.delete(term);
      restorePrevious();
      return;
    } else if (id !== term) {
      const expanded = expandIri(state, id);
      if (expanded === null || (!ABSOLUTE_IRI.test(expanded) && !isKeyword(expanded))) {
        throw where(`@id "${id}" does not expand to an absolute IRI, a blank node or a keyword`);
      }
      if (/(?::[^:])|\//.test(term)) {
        const termDefined = new Map(defined).set(term, true);
        const termIri = expandIri({ ...state, defined: termDefined }, term);
        if (termIri !== expanded) {
          throw where(`a term in the form of an IRI must expand to its own definition ("${expanded}")`);
        }
      }
      mapping.id = expanded;
      mapping.prefix = simpleTerm && !mapping.hasColon && GEN_DELIM_END.test(expanded);
    }
  }

  if (!('id' in mapping)) {
    if (mapping.hasColon) {
      const prefix = term.slice(0, colon);
      if (hasOwn(ctx, prefix)) defineTerm(state, prefix);
      const prefixDef = termOf(active, prefix);
      mapping.id = prefixDef ? `${prefixDef.id}${term.slice(colon + 1)}` : term;
    } else if (term === '@type') {
      mapping.id = term;
    } else {
      const vocab = vocabOf(active);
      if (vocab === undefined) throw where('no @id and no @vocab to derive one from');
      mapping.id = vocab + term;
    }
  }

  if (value['@protected'] === true || (defined.get('@protected') === true && value['@protected'] !== false)) {
    mapping.protected = true;
    active.hasProtected = true;
  }
  defined.set(term, true);

  if ('@type' in value) {
    let type = value['@type'];
    if (typeof type !== 'string') throw where('@type must be a string');
    if (type !== '@json' && type !== '@none' && type !== '@id' && type !== '@vocab') {
      const expanded = expandIri(state, type);
      if (expanded === null || !ABSOLUTE_IRI.test(expanded) || expanded.startsWith('_:')) {
        throw where(`@type "${type}" does not expand to an absolute IRI`);
      }
      type = expanded;
    }
    mapping.type = type as string;
  }

  if ('@container' in value) {
    const raw = value['@container'];
    const container = typeof raw === 'string' ? [raw] : (raw ?? []);
    if (!Array.isArray(container) || container.some((c) => typeof c !== 'string' || !VALID_CONTAINERS.has(c))) {
      throw where(`invalid @container ${JSON.stringify(raw)}`);
    }
    const hasSet = container.includes('@set');
    let valid: boolean;
    if (container.includes('@list')) valid = container.length === 1;
    else if (container.includes('@graph')) valid = container.every((c) => ['@graph', '@id', '@index', '@set'].includes(c));
    else valid = container.length <= (hasSet ? 2 : 1);
    if (!valid) throw where(`invalid @container combination ${JSON.stringify(raw)}`);
    if (container.includes('@type')) {
      mapping.type = mapping.type ?? '@id';
      if (mapping.type !== '@id' && mapping.type !== '@vocab') throw where('@container @type requires @type @id or @vocab');
    }
    if (mapping.reverse && !container.every((c) => c === '@index' || c === '@set')) {
      throw where('the @container of a @reverse term must be @index or @set');
    }
    mapping.container = container as string[];
  }

  if ('@index' in value) {
    const index = value['@index'];
    if (!mapping.container?.includes('@index')) throw where('@index requires @container @index');
    if (typeof index !== 'string' || index.startsWith('@')) throw where('@index must be a non-keyword string');
    mapping.index = index;
  }
  if ('@context' in value) mapping.context = value['@context'];
  if ('@language' in value && !('@type' in value)) {
    const language = value['@language'];
    if (language !== null && typeof language !== 'string') throw where('@language must be a string or null');
    mapping.language = language === null ? null : language.toLowerCase();
  }
  if ('@prefix' in value) {
    if (/[:/]/.test(term)) throw where('@prefix cannot be used on a compact IRI or IRI term');
    if (typeof mapping.id === 'string' && isKeyword(mapping.id)) throw where('a keyword cannot be a prefix');
    if (typeof value['@prefix'] !== 'boolean') throw where('@prefix must be a boolean');
    mapping.prefix = value['@prefix'];
  }
  if ('@direction' in value) {
    const direction = value['@direction'];
    if (direction !== null && direction !== 'ltr' && direction !== 'rtl') throw where('@direction must be null, "ltr" or "rtl"');
    mapping.direction = direction;
  }
  if ('@nest' in value) {
    const nest = value['@nest'];
    if (typeof nest !== 'string' || (nest !== '@nest' && nest.startsWith('@'))) throw where('invalid @nest');
    mapping.nest = nest;
  }
  if (mapping.id === '@context' || mapping.id === '@preserve') throw where('@context and @preserve cannot be aliased');

  if (previous?.protected) {
    mapping.protected = true;
    if (!sameDefinition(previous, mapping)) throw protectedRedefinition(source, term);
  }
}

/** Deep equality of two term definitions, as jsonld.js compares them (@container order-free). */
function sameDefinition(a: TermDefinition, b: TermDefinition): boolean {
  const norm = (d: TermDefinition) => (d.container ? { ...d, container: [...d.container].sort() } : d);
  return deepEqual(norm(a), norm(b));
}

function deepEqual(x: unknown, y: unknown): boolean {
  if (typeof x !== 'object' || x === null || typeof y !== 'object' || y === null) return x === y;
  if (Array.isArray(x) !== Array.isArray(y)) return false;
  const kx = Object.keys(x);
  const ky = Object.keys(y);
  if (kx.length !== ky.length) return false;
  return kx.every((k) => hasOwn(y, k) && deepEqual((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k]));
}
