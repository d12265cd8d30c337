import { describe, expect, it } from 'vitest';
import { NgsiError } from '../../src/errors.js';
import { compileSafeRegex, MAX_REGEX_INPUT_LENGTH, MAX_REGEX_LENGTH } from '../../src/broker/query/regex-guard.js';

function rejection(pattern: string): NgsiError {
  try {
    compileSafeRegex(pattern, 'idPattern');
  } catch (err) {
    expect(err).toBeInstanceOf(NgsiError);
    expect((err as NgsiError).errorType).toBe('BadRequestData');
    return err as NgsiError;
  }
  throw new Error(`accepted ${pattern}`);
}

describe('compileSafeRegex', () => {
  it.each([
    '^urn:ngsi-ld:Building:.*$',
    'a+b*c?',
    '(foo|bar)+',
    '(?:ab)*c',
    '\\d{4}-\\d{2}-\\d{2}',
    '(\\d{2}:){2}\\d{2}',
    '[a-z]+(-[a-z]+)?',
    '(?<year>\\d{4})',
    '^/Madrid/[^/]+(?:/.*)?$',
    'x{2,5}',
    '(a|b|c){3}',
  ])('accepts %s', (pattern) => {
    expect(compileSafeRegex(pattern, 'idPattern')).toBeInstanceOf(RegExp);
  });

  it.each([
    ['(a+)+', 'nested quantifier in "(a+)+"'],
    ['(a*)*', 'nested quantifier in "(a*)*"'],
    ['(.*a){20}', 'nested quantifier in "(.*a){20}"'],
    ['((ab)+c)*', 'nested quantifier'],
    ['(a|a)*', 'overlapping alternatives in "(a|a)*"'],
    ['(a|ab)+', 'overlapping alternatives'],
    ['(\\d|1)+', 'overlapping alternatives'],
    ['(a|)*', 'overlapping alternatives'],
    ['(?:x+y?)+z', 'nested quantifier'],
    ['([a-z]+\\.)*com', 'nested quantifier'],
  ])('rejects %s', (pattern, reason) => {
    const err = rejection(pattern);
    expect(err.detail).toContain(`idPattern: regular expression "${pattern}" is prone to catastrophic backtracking`);
    expect(err.detail).toContain(reason);
  });

  it('rejects invalid patterns, naming them', () => {
    expect(rejection('(abc').detail).toMatch(/^idPattern: invalid regular expression "\(abc": /);
    expect(rejection('[z-a]').detail).toMatch(/^idPattern: invalid regular expression "\[z-a\]"/);
  });

  it('rejects over-long patterns', () => {
    expect(compileSafeRegex('a'.repeat(MAX_REGEX_LENGTH), 'q')).toBeInstanceOf(RegExp);
    expect(rejection('a'.repeat(MAX_REGEX_LENGTH + 1)).detail).toMatch(/^idPattern: regular expression "a+…" is longer than 256 characters$/);
  });

  it('understands a leading (?i)', () => {
    const re = compileSafeRegex('(?i)^madrid', 'q');
    expect(re.test('MADRID centro')).toBe(true);
    expect(re.flags).toBe('i');
  });

  it('does not evaluate over-long inputs', () => {
    const re = compileSafeRegex('x$', 'q');
    expect(re.test('a'.repeat(MAX_REGEX_INPUT_LENGTH - 1) + 'x')).toBe(true);
    expect(re.test('a'.repeat(MAX_REGEX_INPUT_LENGTH) + 'x')).toBe(false);
    expect('a'.repeat(MAX_REGEX_INPUT_LENGTH) + 'x').not.toMatch(re);
  });
});
