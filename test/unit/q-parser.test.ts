import { describe, expect, it } from 'vitest';
import { NgsiError } from '../../src/errors.js';
import { MAX_NESTING, MAX_QUERY_LENGTH, parseQ, type AttrPath, type QNode, type QTerm } from '../../src/broker/query/q-parser.js';

const attr = (name: string, extra: Partial<AttrPath> = {}): AttrPath => ({
  name,
  subAttrs: [],
  jsonPath: [],
  text: name,
  ...extra,
});

/** The single term of a q without logical operators. */
function term(q: string): QTerm {
  const node = parseQ(q);
  expect(['and', 'or']).not.toContain(node.kind);
  return node as QTerm;
}

function values(q: string) {
  const t = term(q);
  if (t.kind !== 'compare' || t.operand.kind !== 'values') throw new Error(`not a value comparison: ${q}`);
  return t.operand.values;
}

function parseError(q: string): NgsiError {
  try {
    parseQ(q);
  } catch (err) {
    expect(err).toBeInstanceOf(NgsiError);
    return err as NgsiError;
  }
  throw new Error(`no error for ${JSON.stringify(q)}`);
}

describe('parseQ: terms and values', () => {
  it('parses a simple comparison', () => {
    expect(parseQ('temperature>=21.5')).toEqual({
      kind: 'compare',
      attr: attr('temperature'),
      op: '>=',
      operand: { kind: 'values', values: [{ type: 'number', value: 21.5 }] },
    });
  });

  it('parses every comparison operator', () => {
    for (const op of ['==', '!=', '>', '>=', '<', '<=']) {
      const t = term(`a${op}1`);
      expect(t.kind === 'compare' && t.op).toBe(op);
    }
  });

  it('parses negative, fractional and exponent numbers', () => {
    expect(values('a==-1.5e3')).toEqual([{ type: 'number', value: -1500 }]);
    expect(values('a==2E-2')).toEqual([{ type: 'number', value: 0.02 }]);
    expect(values('a==0')).toEqual([{ type: 'number', value: 0 }]);
  });

  it('keeps special characters inside quoted strings', () => {
    expect(values('a=="x;y|z(w)v,u..t==s"')).toEqual([{ type: 'string', value: 'x;y|z(w)v,u..t==s' }]);
    expect(values('a=="say \\"hi\\""')).toEqual([{ type: 'string', value: 'say "hi"' }]);
    expect(values('a=="back\\\\slash"')).toEqual([{ type: 'string', value: 'back\\slash' }]);
    expect(values('a=="with space"')).toEqual([{ type: 'string', value: 'with space' }]);
    expect(values('a==""')).toEqual([{ type: 'string', value: '' }]);
  });

  it('parses date-times with Z, offsets and fractions', () => {
    expect(values('a==2024-01-01T00:00:00Z')).toEqual([
      { type: 'dateTime', value: '2024-01-01T00:00:00Z', ms: Date.UTC(2024, 0, 1) },
    ]);
    expect(values('a==2024-01-01T02:00:00+02:00')).toEqual([
      { type: 'dateTime', value: '2024-01-01T02:00:00+02:00', ms: Date.UTC(2024, 0, 1) },
    ]);
    expect(values('a==2024-01-01T00:00:00.250-01:00')).toEqual([
      { type: 'dateTime', value: '2024-01-01T00:00:00.250-01:00', ms: Date.UTC(2024, 0, 1, 1, 0, 0, 250) },
    ]);
  });

  it('parses dates and times', () => {
    expect(values('a==2024-03-01')).toEqual([{ type: 'date', value: '2024-03-01', ms: Date.UTC(2024, 2, 1) }]);
    expect(values('a>=10:30:00')).toEqual([{ type: 'time', value: '10:30:00' }]);
  });

  it('parses booleans and URIs', () => {
    expect(values('a==true')).toEqual([{ type: 'boolean', value: true }]);
    expect(values('a!=false')).toEqual([{ type: 'boolean', value: false }]);
    expect(values('refBuilding==urn:ngsi-ld:Building:B1')).toEqual([{ type: 'uri', value: 'urn:ngsi-ld:Building:B1' }]);
    expect(values('a==https://example.org/x?y=1')).toEqual([{ type: 'uri', value: 'https://example.org/x?y=1' }]);
  });

  it('parses value lists, mixing types', () => {
    expect(values('a=="x","y"')).toEqual([
      { type: 'string', value: 'x' },
      { type: 'string', value: 'y' },
    ]);
    expect(values('a==1,2,3').map((v) => v.value)).toEqual([1, 2, 3]);
    expect(values('a!="x",1,true,urn:a:b').map((v) => v.type)).toEqual(['string', 'number', 'boolean', 'uri']);
  });

  it('parses ranges of numbers, date-times, dates and strings', () => {
    const range = (q: string) => {
      const t = term(q);
      if (t.kind !== 'compare' || t.operand.kind !== 'range') throw new Error('not a range');
      return t.operand;
    };
    expect(range('a==1..5')).toEqual({ kind: 'range', from: { type: 'number', value: 1 }, to: { type: 'number', value: 5 } });
    expect(range('a==-2.5..1e2')).toMatchObject({ from: { value: -2.5 }, to: { value: 100 } });
    expect(range('a==2024-01-01T00:00:00Z..2024-02-01T00:00:00Z')).toMatchObject({
      from: { type: 'dateTime', ms: Date.UTC(2024, 0, 1) },
      to: { type: 'dateTime', ms: Date.UTC(2024, 1, 1) },
    });
    expect(range('a!=2024-01-01..2024-12-31')).toMatchObject({ from: { type: 'date' }, to: { type: 'date' } });
    expect(range('a=="a..b".."c"')).toMatchObject({ from: { value: 'a..b' }, to: { value: 'c' } });
  });

  it('parses existence and non-existence', () => {
    expect(parseQ('a')).toEqual({ kind: 'exists', attr: attr('a') });
    expect(parseQ('!a')).toEqual({ kind: 'notExists', attr: attr('a') });
    expect(parseQ('!a.b[c]')).toEqual({ kind: 'notExists', attr: attr('a', { subAttrs: ['b'], jsonPath: ['c'], text: 'a.b[c]' }) });
  });

  it('parses regex terms, quoted and unquoted', () => {
    expect(parseQ('name~=^Str.*')).toEqual({ kind: 'match', attr: attr('name'), negated: false, pattern: '^Str.*' });
    expect(term('name!~="a|b;c"')).toMatchObject({ kind: 'match', negated: true, pattern: 'a|b;c' });
    expect(term('name~=(?i)^madrid')).toMatchObject({ pattern: '(?i)^madrid' });
  });

  it('ends an unquoted regex at a top-level ; | or )', () => {
    expect(parseQ('a~=(x|y)z[)|;]|b')).toEqual({
      kind: 'or',
      items: [
        { kind: 'match', attr: attr('a'), negated: false, pattern: '(x|y)z[)|;]' },
        { kind: 'exists', attr: attr('b') },
      ],
    });
    expect(parseQ('(a~=x\\);b)')).toMatchObject({ kind: 'and', items: [{ pattern: 'x\\)' }, { kind: 'exists' }] });
  });

  it('parses attribute paths', () => {
    expect(term('a.b').attr).toEqual(attr('a', { subAttrs: ['b'], text: 'a.b' }));
    expect(term('a.b.c==1').attr).toEqual(attr('a', { subAttrs: ['b', 'c'], text: 'a.b.c' }));
    expect(term('a[b]==1').attr).toEqual(attr('a', { jsonPath: ['b'], text: 'a[b]' }));
    expect(term('a[b.c]==1').attr).toEqual(attr('a', { jsonPath: ['b', 'c'], text: 'a[b.c]' }));
    expect(term('a[b][c]==1').attr).toEqual(attr('a', { jsonPath: ['b', 'c'], text: 'a[b][c]' }));
    expect(term('a.b[c]==1').attr).toEqual(attr('a', { subAttrs: ['b'], jsonPath: ['c'], text: 'a.b[c]' }));
    expect(term('a[k"q]==1').attr.jsonPath).toEqual(['k"q']);
  });

  it('parses special members at the end of a path', () => {
    expect(term('a.observedAt>=2024-01-01T00:00:00Z').attr).toEqual(attr('a', { member: 'observedAt', text: 'a.observedAt' }));
    expect(term('a.b.unitCode=="CEL"').attr).toEqual(attr('a', { subAttrs: ['b'], member: 'unitCode', text: 'a.b.unitCode' }));
    for (const m of ['datasetId', 'createdAt', 'modifiedAt']) expect(term(`a.${m}`).attr.member).toBe(m);
  });

  it('takes a full IRI as one attribute name', () => {
    expect(term('https://example.org/ns/temp.observedAt').attr).toEqual(
      attr('https://example.org/ns/temp', { member: 'observedAt', text: 'https://example.org/ns/temp.observedAt' }),
    );
    expect(term('ex:temp==1').attr.name).toBe('ex:temp');
  });
});

describe('parseQ: logical structure', () => {
  const e = (name: string): QNode => ({ kind: 'exists', attr: attr(name) });

  it('binds ; tighter than |', () => {
    expect(parseQ('a;b|c;d')).toEqual({
      kind: 'or',
      items: [
        { kind: 'and', items: [e('a'), e('b')] },
        { kind: 'and', items: [e('c'), e('d')] },
      ],
    });
  });

  it('honours nested parentheses', () => {
    const n = parseQ('((a==1|b==2);c>3)|d');
    expect(n).toMatchObject({
      kind: 'or',
      items: [
        {
          kind: 'and',
          items: [{ kind: 'or', items: [{ attr: { name: 'a' } }, { attr: { name: 'b' } }] }, { attr: { name: 'c' }, op: '>' }],
        },
        { kind: 'exists', attr: { name: 'd' } },
      ],
    });
    expect(parseQ('((((a))))')).toEqual(e('a'));
    expect(parseQ('a;(b|(c;d))')).toEqual({
      kind: 'and',
      items: [e('a'), { kind: 'or', items: [e('b'), { kind: 'and', items: [e('c'), e('d')] }] }],
    });
  });

  it('accepts nesting up to the limit and refuses deeper nesting as TooComplexQuery', () => {
    expect(parseQ('('.repeat(MAX_NESTING) + 'a' + ')'.repeat(MAX_NESTING))).toEqual(e('a'));
    const err = parseError('('.repeat(MAX_NESTING + 1) + 'a' + ')'.repeat(MAX_NESTING + 1));
    expect(err.errorType).toBe('TooComplexQuery');
  });

  it('refuses an over-long q as TooComplexQuery', () => {
    const long = Array.from({ length: 1000 }, (_, i) => `a${i}`).join(';');
    expect(long.length).toBeGreaterThan(MAX_QUERY_LENGTH);
    expect(parseError(long).errorType).toBe('TooComplexQuery');
  });

  it('parses a long but allowed q', () => {
    const q = Array.from({ length: 300 }, (_, i) => `a${i}=="v${i}"`).join('|').slice(0, MAX_QUERY_LENGTH);
    const cut = q.slice(0, q.lastIndexOf('|'));
    const n = parseQ(cut);
    expect(n.kind).toBe('or');
    expect((n as { items: unknown[] }).items).toHaveLength(cut.split('|').length);
  });
});

describe('parseQ: errors', () => {
  const cases: [string, RegExp][] = [
    ['', /^q: empty expression/],
    ['a==', /expected a value after '==' at position 4 in "a=="/],
    ['a==1;', /unexpected end, expected a query term at position 6 in "a==1;"/],
    ['a==1|', /unexpected end, expected a query term at position 6/],
    [';a', /unexpected ';', expected a query term at position 1/],
    ['a==1)', /unexpected '\)' at position 5 in "a==1\)"/],
    ['(a==1', /missing '\)' for the '\(' opened at position 1 in "\(a==1"/],
    ['((a==1)', /missing '\)' for the '\(' opened at position 1/],
    ['()', /unexpected '\)', expected a query term at position 2/],
    ['a=1', /unknown operator '=' at position 2 in "a=1"/],
    ['a<>1', /unknown operator '<>' at position 2/],
    ['a===1', /unknown operator '==='/],
    ['a== 1', /unexpected whitespace \(not allowed outside quoted strings\), expected a value after '==' at position 4/],
    ['a==1 ', /unexpected whitespace .* at position 5/],
    [' a==1', /unexpected whitespace .* at position 1/],
    ['a==foo', /invalid value 'foo' \(strings must be quoted\) at position 4/],
    ['a==1x', /unexpected 'x' at position 5/],
    ['a=="abc', /unterminated quoted string at position 4/],
    ['a>1,2', /a value list is only allowed with '==' or '!=', not '>'/],
    ['a>1..2', /a range is only allowed with '==' or '!=', not '>'/],
    ['a==1.."b"', /range bounds must have the same type \(number..string\) at position 7/],
    ['a==true..false', /a range bound must be a number/],
    ['a>true', /'>' needs a number, quoted string, date-time, date or time at position 3/],
    ['a<urn:x:y', /'<' needs a number/],
    ['a==2024-13-45T00:00:00Z', /invalid date-time '2024-13-45T00:00:00Z' at position 4/],
    ['a==2024-02-31x', /unexpected 'x'/],
    ['a..b', /empty attribute path element at position 3/],
    ['a.', /empty attribute path element at position 3/],
    ['a[]==1', /empty key in trailing path at position 3/],
    ['a[b==1', /unexpected end, expected '\]' at position 7/],
    ['a.observedAt.b', /'observedAt' may only end an attribute path, in 'a.observedAt.b'/],
    ['observedAt.unitCode.x', /'unitCode' may only end an attribute path/],
    ['a.observedAt[x]', /a trailing path cannot follow 'observedAt' in 'a.observedAt\[x\]'/],
    ['!a==1', /'!a' \(non-existence\) cannot be followed by an operator at position 3/],
    ['!', /unexpected end, expected an attribute name at position 2/],
    ['a~=', /expected a regular expression after '~=' at position 4/],
    ['a~=(a+)+', /q \(position 4\): regular expression "\(a\+\)\+" is prone to catastrophic backtracking/],
    ['a~="(x"', /q \(position 4\): invalid regular expression "\(x"/],
    ['a==2024-01-01T10:00:00 01:00', /unexpected whitespace .* at position 23/],
  ];
  it.each(cases)('%j', (q, message) => {
    const err = parseError(q);
    expect(err.errorType).toBe('BadRequestData');
    expect(err.detail).toMatch(message);
  });

  it('shows an excerpt of a long q around the error', () => {
    const q = 'a==1;'.repeat(40) + 'b=1';
    const err = parseError(q);
    expect(err.detail).toMatch(/unknown operator '=' at position 202 in "…[a=1;]+b=1"$/);
  });
});
