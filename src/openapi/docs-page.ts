/**
 * The /docs page: a self-contained, accessible HTML reference rendered on the server from the
 * OpenAPI document. No scripts, fonts or external resources; inline CSS only. Every string taken
 * from the document is escaped.
 */

type Json = Record<string, unknown>;

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Follows a local `$ref` (`#/components/...`) to its target; other values are returned as they are. */
function deref(doc: Json, value: unknown, depth = 0): Json {
  if (!isObject(value)) return {};
  const target = value.$ref;
  if (typeof target !== 'string' || depth > 16) return value;
  if (!target.startsWith('#/')) return value;
  let node: unknown = doc;
  for (const raw of target.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    node = isObject(node) ? node[key] : undefined;
  }
  return deref(doc, node, depth + 1);
}

/** A readable name for a schema: its $ref name, type, or composition. */
function schemaLabel(s: unknown): string {
  if (!isObject(s)) return '';
  if (typeof s.$ref === 'string') return s.$ref.split('/').pop() ?? '';
  for (const k of ['oneOf', 'anyOf', 'allOf'] as const) {
    const list = s[k];
    if (Array.isArray(list)) return list.map(schemaLabel).filter((x) => x).join(k === 'allOf' ? ' & ' : ' | ');
  }
  if (s.type === 'array') return `array of ${schemaLabel(s.items) || 'any'}`;
  if (Array.isArray(s.enum)) return `${String(s.type ?? 'string')} (${s.enum.map(String).join(', ')})`;
  if (typeof s.type === 'string') return s.type;
  return '';
}

/** Like schemaLabel, as HTML: schema names link to their row in the Schemas table. */
function schemaHtml(s: unknown): string {
  if (!isObject(s)) return '';
  if (typeof s.$ref === 'string') {
    const name = s.$ref.split('/').pop() ?? '';
    return s.$ref.startsWith('#/components/schemas/') ? `<a href="#${escapeHtml(slug('schema', name))}">${escapeHtml(name)}</a>` : escapeHtml(name);
  }
  for (const k of ['oneOf', 'anyOf', 'allOf'] as const) {
    const list = s[k];
    if (Array.isArray(list)) return list.map(schemaHtml).filter((x) => x).join(k === 'allOf' ? ' &amp; ' : ' | ');
  }
  if (s.type === 'array') return `array of ${schemaHtml(s.items) || 'any'}`;
  return escapeHtml(schemaLabel(s));
}

/** A fragment identifier built from text: letters, digits and hyphens. */
function slug(prefix: string, text: string): string {
  return `${prefix}-${text.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').toLowerCase()}`;
}

interface Op {
  method: string;
  path: string;
  op: Json;
  id: string;
}

function operationsOf(doc: Json): Op[] {
  const out: Op[] = [];
  const paths = isObject(doc.paths) ? doc.paths : {};
  for (const [path, item] of Object.entries(paths)) {
    if (!isObject(item)) continue;
    for (const method of METHODS) {
      const op = item[method];
      if (!isObject(op)) continue;
      out.push({ method, path, op, id: typeof op.operationId === 'string' ? op.operationId : `${method}-${path}` });
    }
  }
  return out;
}

/** Paragraphs from text (blank lines separate them). */
function paragraphs(text: unknown, cls?: string): string {
  if (typeof text !== 'string' || text.trim() === '') return '';
  const attr = cls ? ` class="${escapeHtml(cls)}"` : '';
  return text
    .split(/\n\s*\n/)
    .map((p) => `<p${attr}>${escapeHtml(p.trim())}</p>`)
    .join('\n');
}

function parametersTable(doc: Json, o: Op): string {
  const params = (Array.isArray(o.op.parameters) ? o.op.parameters : []).map((p) => deref(doc, p));
  if (params.length === 0) return '';
  const rows = params
    .map((p) => {
      const s = deref(doc, p.schema);
      const type = schemaHtml(isObject(p.schema) && typeof p.schema.$ref === 'string' ? p.schema : s);
      const dflt = s.default !== undefined ? ` Default: ${JSON.stringify(s.default)}.` : '';
      const example = p.example !== undefined ? ` Example: <code>${escapeHtml(typeof p.example === 'string' ? p.example : JSON.stringify(p.example))}</code>` : '';
      return (
        '<tr>' +
        `<th scope="row"><code>${escapeHtml(p.name)}</code></th>` +
        `<td>${escapeHtml(p.in)}</td>` +
        `<td>${p.required === true ? 'yes' : 'no'}</td>` +
        `<td>${type}</td>` +
        `<td>${escapeHtml(String(p.description ?? '') + dflt)}${example}</td>` +
        '</tr>'
      );
    })
    .join('\n');
  return (
    `<h4 id="${escapeHtml(`${slug('op', o.id)}-parameters`)}">Parameters</h4>\n` +
    '<div class="scroll"><table>\n' +
    `<caption>Parameters of ${escapeHtml(o.method.toUpperCase())} ${escapeHtml(o.path)}</caption>\n` +
    '<thead><tr><th scope="col">Name</th><th scope="col">In</th><th scope="col">Required</th><th scope="col">Type</th><th scope="col">Description</th></tr></thead>\n' +
    `<tbody>\n${rows}\n</tbody>\n</table></div>`
  );
}

function requestBodySection(doc: Json, o: Op): string {
  if (o.op.requestBody === undefined) return '';
  const body = deref(doc, o.op.requestBody);
  const content = isObject(body.content) ? body.content : {};
  const items = Object.entries(content)
    .map(([media, m]) => {
      const label = schemaHtml(isObject(m) ? m.schema : undefined);
      return `<li><code>${escapeHtml(media)}</code>${label ? `: ${label}` : ''}</li>`;
    })
    .join('\n');
  return (
    `<h4 id="${escapeHtml(`${slug('op', o.id)}-body`)}">Request body${body.required === true ? ' (required)' : ''}</h4>\n` +
    paragraphs(body.description) +
    `\n<ul class="media">\n${items}\n</ul>`
  );
}

function responsesTable(doc: Json, o: Op): string {
  const responses = isObject(o.op.responses) ? o.op.responses : {};
  const rows = Object.entries(responses)
    .map(([status, raw]) => {
      const r = deref(doc, raw);
      const content = isObject(r.content) ? r.content : {};
      const media = Object.entries(content)
        .map(([type, m]) => {
          const label = schemaHtml(isObject(m) ? m.schema : undefined);
          return `<code>${escapeHtml(type)}</code>${label ? ` (${label})` : ''}`;
        })
        .join(', ');
      const headers = isObject(r.headers) ? Object.keys(r.headers) : [];
      const headerText = headers.length > 0 ? `<br>Headers: ${headers.map((h) => `<code>${escapeHtml(h)}</code>`).join(', ')}` : '';
      return (
        '<tr>' +
        `<th scope="row">${escapeHtml(status)}</th>` +
        `<td>${escapeHtml(r.description)}${headerText}</td>` +
        `<td>${media || 'none'}</td>` +
        '</tr>'
      );
    })
    .join('\n');
  return (
    `<h4 id="${escapeHtml(`${slug('op', o.id)}-responses`)}">Responses</h4>\n` +
    '<div class="scroll"><table>\n' +
    `<caption>Responses of ${escapeHtml(o.method.toUpperCase())} ${escapeHtml(o.path)}</caption>\n` +
    '<thead><tr><th scope="col">Status</th><th scope="col">Description</th><th scope="col">Media types</th></tr></thead>\n' +
    `<tbody>\n${rows}\n</tbody>\n</table></div>`
  );
}

function operationSection(doc: Json, o: Op): string {
  const method = o.method.toUpperCase();
  return (
    `<section class="op" aria-labelledby="${escapeHtml(slug('op', o.id))}">\n` +
    `<h3 id="${escapeHtml(slug('op', o.id))}"><span class="method method-${escapeHtml(o.method)}">${escapeHtml(method)}</span> ` +
    `<code class="path">${escapeHtml(o.path)}</code></h3>\n` +
    `<p class="summary"><strong>${escapeHtml(o.op.summary)}</strong> <span class="opid">(operationId <code>${escapeHtml(o.id)}</code>)</span></p>\n` +
    paragraphs(o.op.description) +
    '\n' +
    parametersTable(doc, o) +
    '\n' +
    requestBodySection(doc, o) +
    '\n' +
    responsesTable(doc, o) +
    '\n</section>'
  );
}

function schemasSection(doc: Json): string {
  const components = isObject(doc.components) ? doc.components : {};
  const schemas = isObject(components.schemas) ? components.schemas : {};
  const rows = Object.entries(schemas)
    .map(([name, s]) => {
      const desc = isObject(s) ? String(s.description ?? '') : '';
      const props = isObject(s) && isObject(s.properties) ? Object.keys(s.properties) : [];
      const members = props.length > 0 ? props.map((p) => `<code>${escapeHtml(p)}</code>`).join(', ') : schemaHtml(s);
      return `<tr><th scope="row" id="${escapeHtml(slug('schema', name))}"><code>${escapeHtml(name)}</code></th><td>${escapeHtml(desc)}</td><td>${members}</td></tr>`;
    })
    .join('\n');
  return (
    '<section aria-labelledby="schemas">\n<h2 id="schemas">Schemas</h2>\n' +
    '<div class="scroll"><table>\n<caption>Schemas of the request and response bodies</caption>\n' +
    '<thead><tr><th scope="col">Name</th><th scope="col">Description</th><th scope="col">Members or type</th></tr></thead>\n' +
    `<tbody>\n${rows}\n</tbody>\n</table></div>\n</section>`
  );
}

const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; font-size: 1rem; line-height: 1.55; color: #1a1a1a; background: #ffffff; }
a { color: #0b4f9c; text-decoration: underline; }
a:hover { color: #06305f; }
a:focus-visible, [tabindex]:focus-visible { outline: 3px solid #b3001b; outline-offset: 2px; background: #fff6d5; color: #1a1a1a; }
.skip { position: absolute; left: 0.5rem; top: -4rem; padding: 0.5rem 1rem; background: #1a1a1a; color: #ffffff; z-index: 10; }
.skip:focus, .skip:focus-visible { top: 0.5rem; color: #ffffff; background: #1a1a1a; outline: 3px solid #b3001b; }
header { padding: 1.25rem 1.5rem; background: #f2f4f7; border-bottom: 1px solid #8a94a6; }
header h1 { margin: 0 0 0.25rem; font-size: 1.75rem; }
header p { margin: 0.25rem 0; max-width: 75ch; }
.layout { display: flex; flex-wrap: wrap; align-items: flex-start; }
nav { flex: 0 0 19rem; max-width: 100%; padding: 1rem 1.5rem; border-right: 1px solid #d0d5dd; }
nav h2 { font-size: 1.15rem; margin-top: 0; }
nav ul { list-style: none; padding-left: 0; margin: 0 0 0.75rem; }
nav ul ul { padding-left: 0.75rem; }
nav li { margin: 0.2rem 0; }
main { flex: 1 1 36rem; min-width: 0; padding: 1rem 1.5rem 3rem; }
main:focus { outline: none; }
h2 { font-size: 1.5rem; border-bottom: 2px solid #1a1a1a; padding-bottom: 0.2rem; margin-top: 2rem; }
h3 { font-size: 1.2rem; margin: 1.75rem 0 0.5rem; word-break: break-word; }
h4 { font-size: 1rem; margin: 1rem 0 0.35rem; }
.op { border: 1px solid #d0d5dd; border-radius: 6px; padding: 0 1rem 1rem; margin: 1.25rem 0; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 0.95em; background: #f2f4f7; color: #1a1a1a; padding: 0 0.2em; border-radius: 3px; }
.method { display: inline-block; min-width: 4.5rem; text-align: center; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.85rem; font-weight: 700; letter-spacing: 0.03em; color: #ffffff; border-radius: 4px; padding: 0.1rem 0.4rem; margin-right: 0.35rem; border: 1px solid #1a1a1a; }
.method-get { background: #0b4f9c; }
.method-post { background: #1d6b2f; }
.method-put { background: #7a4a00; }
.method-patch { background: #5b2c83; }
.method-delete { background: #a4161a; }
.method-head, .method-options, .method-trace { background: #3d4451; }
.opid { color: #3d4451; font-size: 0.9rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: 0.25rem 0 0.75rem; font-size: 0.95rem; }
caption { text-align: left; font-weight: 600; padding: 0.25rem 0; color: #1a1a1a; }
th, td { border: 1px solid #b8c0cc; padding: 0.35rem 0.5rem; text-align: left; vertical-align: top; }
thead th { background: #e4e8ee; }
tbody th { font-weight: 600; white-space: nowrap; }
ul.media { margin: 0.25rem 0 0.75rem; }
footer { padding: 1rem 1.5rem; border-top: 1px solid #d0d5dd; color: #3d4451; }
@media (prefers-reduced-motion: reduce) { * { scroll-behavior: auto !important; } }
`;

/** Renders the HTML reference page of an OpenAPI 3.1 document. */
export function docsPage(document: object): string {
  const doc = document as Json;
  const info = isObject(doc.info) ? doc.info : {};
  const title = String(info.title ?? 'API reference');
  const version = String(info.version ?? '');
  const ops = operationsOf(doc);

  // Tags in the document's order, then any tag used only by operations; untagged operations last.
  const tagNames: string[] = [];
  const tagDescriptions = new Map<string, string>();
  for (const t of Array.isArray(doc.tags) ? doc.tags : []) {
    if (isObject(t) && typeof t.name === 'string') {
      tagNames.push(t.name);
      tagDescriptions.set(t.name, String(t.description ?? ''));
    }
  }
  const tagOf = (o: Op) => (Array.isArray(o.op.tags) && typeof o.op.tags[0] === 'string' ? (o.op.tags[0] as string) : 'Other');
  for (const o of ops) if (!tagNames.includes(tagOf(o))) tagNames.push(tagOf(o));
  const groups = tagNames.map((name) => ({ name, ops: ops.filter((o) => tagOf(o) === name) })).filter((g) => g.ops.length > 0);

  const toc = groups
    .map(
      (g) =>
        `<li><a href="#${escapeHtml(slug('tag', g.name))}">${escapeHtml(g.name)}</a>\n<ul>\n` +
        g.ops
          .map((o) => `<li><a href="#${escapeHtml(slug('op', o.id))}">${escapeHtml(o.method.toUpperCase())} ${escapeHtml(o.path)}</a> <span class="opid">${escapeHtml(o.op.summary)}</span></li>`)
          .join('\n') +
        '\n</ul></li>',
    )
    .join('\n');

  const sections = groups
    .map(
      (g) =>
        `<section aria-labelledby="${escapeHtml(slug('tag', g.name))}">\n<h2 id="${escapeHtml(slug('tag', g.name))}">${escapeHtml(g.name)}</h2>\n` +
        paragraphs(tagDescriptions.get(g.name)) +
        '\n' +
        g.ops.map((o) => operationSection(doc, o)).join('\n') +
        '\n</section>',
    )
    .join('\n');

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} ${escapeHtml(version)} reference</title>
<style>${CSS}</style>
</head>
<body>
<a class="skip" href="#main">Skip to main content</a>
<header>
<h1>${escapeHtml(title)}</h1>
<p>Version ${escapeHtml(version)} &middot; OpenAPI ${escapeHtml(doc.openapi)} &middot; machine-readable document: <a href="/openapi.json">/openapi.json</a></p>
${paragraphs(info.description)}
</header>
<div class="layout">
<nav aria-labelledby="toc">
<h2 id="toc">Contents</h2>
<ul>
${toc}
<li><a href="#schemas">Schemas</a></li>
</ul>
</nav>
<main id="main" tabindex="-1">
${sections}
${schemasSection(doc)}
</main>
</div>
<footer><p>Generated by the server from its OpenAPI document.</p></footer>
</body>
</html>
`;
}
