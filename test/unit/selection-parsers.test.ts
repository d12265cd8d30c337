import { describe, expect, it } from 'vitest';
import { NgsiError } from '../../src/errors.js';
import { MAX_NESTING } from '../../src/broker/query/q-parser.js';
import { parseScopeQ } from '../../src/broker/query/scope-q.js';
import { parseTypeSelection } from '../../src/broker/query/type-selection.js';

function errorOf(fn: () => unknown): NgsiError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(NgsiError);
    return err as NgsiError;
  }
  throw new Error('no error');
}

const t = (name: string) => ({ kind: 'type', name });
const s = (segments: string[], descendants = false) => ({ kind: 'scope', segments, descendants });

describe('parseTypeSelection', () => {
  it('parses a single type, short or IRI', () => {
    expect(parseTypeSelection('Building')).toEqual(t('Building'));
    expect(parseTypeSelection('https://example.org/ns#Building')).toEqual(t('https://example.org/ns#Building'));
  });

  it('treats , and | as OR and ; as AND, binding tighter', () => {
    expect(parseTypeSelection('A,B')).toEqual({ kind: 'or', items: [t('A'), t('B')] });
    expect(parseTypeSelection('A|B')).toEqual({ kind: 'or', items: [t('A'), t('B')] });
    expect(parseTypeSelection('A;B')).toEqual({ kind: 'and', items: [t('A'), t('B')] });
    expect(parseTypeSelection('A;B|C')).toEqual({ kind: 'or', items: [{ kind: 'and', items: [t('A'), t('B')] }, t('C')] });
    expect(parseTypeSelection('(A|B);C')).toEqual({ kind: 'and', items: [{ kind: 'or', items: [t('A'), t('B')] }, t('C')] });
    expect(parseTypeSelection('A,B,C')).toEqual({ kind: 'or', items: [t('A'), t('B'), t('C')] });
  });

  it.each([
    ['', /^type: empty expression/],
    ['A,', /type: unexpected end, expected an entity type at position 3 in "A,"/],
    ['A;;B', /unexpected ';', expected an entity type at position 3/],
    ['(A|B', /missing '\)' for the '\(' opened at position 1 in "\(A\|B"/],
    ['A)', /unexpected '\)' at position 2/],
    ['A B', /unexpected whitespace/],
    ['"A"', /unexpected '"', expected an entity type at position 1/],
  ])('rejects %j', (input, message) => {
    const err = errorOf(() => parseTypeSelection(input));
    expect(err.errorType).toBe('BadRequestData');
    expect(err.detail).toMatch(message);
  });

  it('limits nesting', () => {
    const deep = '('.repeat(MAX_NESTING + 1) + 'A' + ')'.repeat(MAX_NESTING + 1);
    expect(errorOf(() => parseTypeSelection(deep)).errorType).toBe('TooComplexQuery');
  });
});

describe('parseScopeQ', () => {
  it('parses exact scopes, descendants, any scope and one-level wildcards', () => {
    expect(parseScopeQ('/Madrid/Gardens')).toEqual(s(['Madrid', 'Gardens']));
    expect(parseScopeQ('/Madrid/#')).toEqual(s(['Madrid'], true));
    expect(parseScopeQ('/#')).toEqual(s([], true));
    expect(parseScopeQ('/Madrid/+/Park')).toEqual(s(['Madrid', '+', 'Park']));
    expect(parseScopeQ('/+/#')).toEqual(s(['+'], true));
  });

  it('combines scopes with ; | , and parentheses', () => {
    expect(parseScopeQ('/A;/B|/C')).toEqual({ kind: 'or', items: [{ kind: 'and', items: [s(['A']), s(['B'])] }, s(['C'])] });
    expect(parseScopeQ('/A,/B')).toEqual({ kind: 'or', items: [s(['A']), s(['B'])] });
    expect(parseScopeQ('(/A|/B);/C/#')).toEqual({ kind: 'and', items: [{ kind: 'or', items: [s(['A']), s(['B'])] }, s(['C'], true)] });
  });

  it.each([
    ['', /^scopeQ: empty expression/],
    ['Madrid', /scopeQ: unexpected 'M', expected a scope starting with '\/' at position 1 in "Madrid"/],
    ['/', /unexpected end, expected a scope segment at position 2/],
    ['/Madrid/', /unexpected end, expected a scope segment at position 9/],
    ['/a//b', /unexpected '\/', expected a scope segment at position 4/],
    ['/#/a', /'#' may only end a scope at position 2/],
    ['/a#', /unexpected '#' at position 3/],
    ['/a+b', /unexpected '\+' at position 3/],
    ['/+b', /'\+' must be a whole scope segment at position 2/],
    ['/a;', /unexpected end, expected a scope at position 4/],
    ['/a /b', /unexpected whitespace/],
  ])('rejects %j', (input, message) => {
    const err = errorOf(() => parseScopeQ(input));
    expect(err.errorType).toBe('BadRequestData');
    expect(err.detail).toMatch(message);
  });
});
