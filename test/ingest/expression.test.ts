/**
 * The arithmetic of attribute mappings: precedence, functions, the IoT Agent's legacy ${@x} form,
 * and refusal of anything that is not arithmetic.
 */
import { describe, expect, it } from 'vitest';
import { compileExpression, evaluate } from '../../src/ingest/expression.js';

const run = (src: string, vars: Record<string, number> = {}) => evaluate(compileExpression(src), (n) => vars[n]);

describe('expressions', () => {
  it('computes with the usual precedence and functions', () => {
    expect(run('t * 1.8 + 32', { t: 100 })).toBe(212);
    expect(run('(f - 32) * 5 / 9', { f: 212 })).toBe(100);
    expect(run('-2 ^ 2')).toBe(-4);
    expect(run('2 ^ 3 ^ 2')).toBe(512);
    expect(run('10 % 4 + 1')).toBe(3);
    expect(run('round(h / 3, 2)', { h: 1 })).toBe(0.33);
    expect(run('max(a, b, 3) + min(a, b) + abs(-1) + floor(1.7) + ceil(1.2) + sqrt(9)', { a: 1, b: 2 })).toBe(3 + 1 + 1 + 1 + 2 + 3);
    expect(run('${@t * 2}', { t: 4 })).toBe(8);
  });

  it('refuses what is not arithmetic, and results that are not numbers', () => {
    for (const bad of ['process.exit(1)', 'a; b', 'constructor("x")', 'require(1)', 'a *', '(1', '1 2', '"x"', 'a[0]', '', 'max()']) {
      expect(() => compileExpression(bad), bad).toThrow();
    }
    expect(() => run('1 / x', { x: 0 })).toThrow(/Infinity/);
    expect(() => run('y + 1')).toThrow(/"y"/);
  });
});
