/**
 * Property checks of the predicates against answers computed independently with interval
 * arithmetic on axis-aligned rectangles, segments and points snapped to a small grid (so that
 * shared edges, touching corners and points on boundaries are frequent).
 */
import { describe, expect, it } from 'vitest';
import { rng } from '../helpers/random.js';
import type { Geometry, Position } from '../../src/broker/geo/geometry.js';
import {
  contains,
  disjoint,
  distanceMeters,
  equals,
  intersects,
  overlaps,
  within,
} from '../../src/broker/geo/predicates.js';

/** Grid in real-world coordinates (central Madrid, steps of 0.001°) so floating point is exercised. */
const X = (i: number) => -3.71 + i * 0.001;
const Y = (j: number) => 40.41 + j * 0.001;

interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

const random = rng(2024);
const int = (n: number) => Math.floor(random() * n);
function randomBox(): Box {
  const x0 = int(8);
  const y0 = int(8);
  return { x0, y0, x1: x0 + 1 + int(5), y1: y0 + 1 + int(5) };
}
function ring(b: Box, start = 0, reverse = false): Position[] {
  let r: Position[] = [
    [X(b.x0), Y(b.y0)],
    [X(b.x1), Y(b.y0)],
    [X(b.x1), Y(b.y1)],
    [X(b.x0), Y(b.y1)],
  ];
  r = [...r.slice(start), ...r.slice(0, start)];
  if (reverse) r.reverse();
  return [...r, r[0]];
}
const polygon = (b: Box, ...holes: Box[]): Geometry => ({
  type: 'Polygon',
  coordinates: [ring(b, int(4), random() < 0.5), ...holes.map((h) => ring(h, int(4), random() < 0.5))],
});

// Independent interval answers (closed boxes unless said otherwise).
const closedMeet = (a: Box, b: Box) => a.x0 <= b.x1 && b.x0 <= a.x1 && a.y0 <= b.y1 && b.y0 <= a.y1;
const openMeet = (a: Box, b: Box) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
const inside = (a: Box, b: Box) => b.x0 <= a.x0 && a.x1 <= b.x1 && b.y0 <= a.y0 && a.y1 <= b.y1;
const sameBox = (a: Box, b: Box) => inside(a, b) && inside(b, a);

describe('rectangles against rectangles', () => {
  it('agree with interval arithmetic', () => {
    for (let n = 0; n < 600; n++) {
      const a = randomBox();
      const b = randomBox();
      const ga = polygon(a);
      const gb = polygon(b);
      const label = JSON.stringify({ a, b });
      expect(intersects(ga, gb), label).toBe(closedMeet(a, b));
      expect(disjoint(ga, gb), label).toBe(!closedMeet(a, b));
      expect(within(ga, gb), label).toBe(inside(a, b));
      expect(contains(ga, gb), label).toBe(inside(b, a));
      expect(equals(ga, gb), label).toBe(sameBox(a, b));
      expect(overlaps(ga, gb), label).toBe(openMeet(a, b) && !inside(a, b) && !inside(b, a));
      expect(distanceMeters(ga, gb) === 0, label).toBe(closedMeet(a, b));
    }
  });
});

describe('rectangles against a rectangle with a hole', () => {
  it('agree with interval arithmetic', () => {
    const outer: Box = { x0: 2, y0: 2, x1: 10, y1: 10 };
    const hole: Box = { x0: 4, y0: 4, x1: 7, y1: 8 };
    for (let n = 0; n < 600; n++) {
      const a = randomBox();
      const ga = polygon(a);
      const frame = polygon(outer, hole);
      const label = JSON.stringify(a);
      // a lies in the frame when it lies in the outer box and its interior misses the hole's
      const aInFrame = inside(a, outer) && !openMeet(a, hole);
      // a misses the frame when it misses the outer box or lies strictly inside the hole
      const strictlyInHole = hole.x0 < a.x0 && a.x1 < hole.x1 && hole.y0 < a.y0 && a.y1 < hole.y1;
      const meets = closedMeet(a, outer) && !strictlyInHole;
      // interiors meet when the open box a ∩ outer is not covered by the closed hole
      const c: Box = {
        x0: Math.max(a.x0, outer.x0),
        y0: Math.max(a.y0, outer.y0),
        x1: Math.min(a.x1, outer.x1),
        y1: Math.min(a.y1, outer.y1),
      };
      const interiorsMeet = openMeet(a, outer) && !inside(c, hole);
      expect(within(ga, frame), label).toBe(aInFrame);
      expect(contains(ga, frame), label).toBe(inside(outer, a));
      expect(intersects(ga, frame), label).toBe(meets);
      expect(intersects(frame, ga), label).toBe(meets);
      expect(overlaps(ga, frame), label).toBe(interiorsMeet && !aInFrame && !inside(outer, a));
      expect(equals(ga, frame), label).toBe(false);
    }
  });
});

describe('points and segments against rectangles', () => {
  it('points: interior, boundary, exterior', () => {
    for (let n = 0; n < 600; n++) {
      const b = randomBox();
      const i = int(14);
      const j = int(14);
      const p: Geometry = { type: 'Point', coordinates: [X(i), Y(j)] };
      const closed = b.x0 <= i && i <= b.x1 && b.y0 <= j && j <= b.y1;
      const open = b.x0 < i && i < b.x1 && b.y0 < j && j < b.y1;
      const label = JSON.stringify({ b, i, j });
      expect(intersects(p, polygon(b)), label).toBe(closed);
      expect(within(p, polygon(b)), label).toBe(open);
      expect(contains(polygon(b), p), label).toBe(open);
    }
  });

  it('axis-aligned segments', () => {
    for (let n = 0; n < 600; n++) {
      const b = randomBox();
      const horizontal = random() < 0.5;
      const fixed = int(14);
      const from = int(12);
      const to = from + 1 + int(5);
      const seg: Box = horizontal ? { x0: from, x1: to, y0: fixed, y1: fixed } : { x0: fixed, x1: fixed, y0: from, y1: to };
      const g: Geometry = {
        type: 'LineString',
        coordinates: [
          [X(seg.x0), Y(seg.y0)],
          [X(seg.x1), Y(seg.y1)],
        ],
      };
      const onEdgeLine = horizontal ? fixed === b.y0 || fixed === b.y1 : fixed === b.x0 || fixed === b.x1;
      const label = JSON.stringify({ b, seg });
      expect(intersects(g, polygon(b)), label).toBe(closedMeet(seg, b));
      expect(within(g, polygon(b)), label).toBe(inside(seg, b) && !onEdgeLine);
    }
  });
});

describe('algebraic properties', () => {
  it('hold on random polygons, lines and points', () => {
    const shapes: Geometry[] = [];
    for (let n = 0; n < 40; n++) {
      const b = randomBox();
      const k = int(4);
      if (k === 0) shapes.push(polygon(b));
      else if (k === 1) shapes.push({ type: 'Point', coordinates: [X(b.x0), Y(b.y1)] });
      else if (k === 2) shapes.push({ type: 'LineString', coordinates: [[X(b.x0), Y(b.y0)], [X(b.x1), Y(b.y1)], [X(b.x1), Y(b.y0)]] });
      else shapes.push({ type: 'MultiPolygon', coordinates: [[ring(b)], [ring({ x0: b.x1 + 1, y0: b.y0, x1: b.x1 + 3, y1: b.y0 + 2 })]] });
    }
    for (const a of shapes) {
      expect(equals(a, a)).toBe(true);
      expect(within(a, a)).toBe(true);
      for (const b of shapes) {
        expect(intersects(a, b)).toBe(intersects(b, a));
        expect(overlaps(a, b)).toBe(overlaps(b, a));
        expect(equals(a, b)).toBe(equals(b, a));
        if (within(a, b)) expect(intersects(a, b) && contains(b, a)).toBe(true);
        if (overlaps(a, b)) expect(within(a, b) || within(b, a)).toBe(false);
        expect(distanceMeters(a, b) > 0).toBe(disjoint(a, b));
        expect(distanceMeters(a, b)).toBeCloseTo(distanceMeters(b, a), 6);
      }
    }
  });
});
