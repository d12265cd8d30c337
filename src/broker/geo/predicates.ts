/**
 * Exact spatial predicates and distances between GeoJSON geometries (lon/lat degrees).
 *
 * Topology is planar on (longitude, latitude), with the OGC / DE-9IM semantics: a geometry's
 * interior, boundary (a polygon's rings, a line's end points by the mod-2 rule; points have none)
 * and exterior. Two points closer than {@link TOLERANCE_DEG} (and a point that close to a segment)
 * count as touching, which absorbs floating-point noise. Polygons with holes are handled throughout;
 * geometries are assumed valid (no self-intersecting rings, MultiPolygon parts not overlapping).
 * Lines crossing the antimeridian are not unwrapped.
 *
 * Distances are great-circle distances on a sphere of the Earth's mean radius.
 *
 * How the predicates are decided: each geometry is reduced to its "skeleton" (vertices, and
 * segments cut at every point where the other geometry's segments or points meet them). On each
 * skeleton piece the location relative to both geometries is constant, so locating one sample
 * point per piece (plus one interior point per polygon) fills the DE-9IM cells the predicates need.
 */

import type { Geometry, Position } from './geometry.js';

/** Distance in degrees (≈ 0.1 mm) under which two points, or a point and a segment, touch. */
export const TOLERANCE_DEG = 1e-9;

/** Mean Earth radius (IUGG), in metres. */
export const EARTH_RADIUS_M = 6371008.8;

type XY = readonly [number, number];
/** Location of a point relative to a geometry: Interior, Boundary or Exterior. */
type Loc = 'I' | 'B' | 'E';

type Box = readonly [number, number, number, number];

interface Segment {
  a: XY;
  b: XY;
  /** `[minX, minY, maxX, maxY]` of the segment. */
  box: Box;
}

/** A geometry reduced to what the algorithms need; every geometry has a single dimension. */
interface Shape {
  dim: 0 | 1 | 2;
  /** Points (dim 0), line vertices (dim 1) or ring vertices (dim 2). */
  vertices: XY[];
  /** Non-degenerate segments of the lines or rings, sorted by their minimum x. */
  segments: Segment[];
  /** Largest x extent of a segment, to bound searches in `segments`. */
  maxSpanX: number;
  /** Polygons as rings (ring 0 exterior), dim 2 only. */
  polygons: XY[][][];
  /** Line end points that are boundary by the mod-2 rule, dim 1 only, keyed by `x,y`. */
  boundary: Map<string, XY>;
  box: Box;
}

// ---------------------------------------------------------------------------------------------
// Public predicates

/** True when `a` and `b` share at least one point (interior or boundary). */
export function intersects(a: Geometry, b: Geometry): boolean {
  const sa = shapeOf(a);
  const sb = shapeOf(b);
  if (!boxesTouch(sa.box, sb.box)) return false;
  if (sa.vertices.some((v) => locate(sb, v) !== 'E')) return true;
  if (sb.vertices.some((v) => locate(sa, v) !== 'E')) return true;
  return sa.segments.some((s) => segmentsNear(sb, s.box).some((t) => segmentIntersections(s, t).length > 0));
}

/** True when `a` and `b` share no point: `!intersects(a, b)`. */
export function disjoint(a: Geometry, b: Geometry): boolean {
  return !intersects(a, b);
}

/**
 * True when `a` lies within `b` (DE-9IM): their interiors meet and no point of `a` lies in the
 * exterior of `b`. A point on `b`'s boundary, or a line running along it, is not within `b`.
 */
export function within(a: Geometry, b: Geometry): boolean {
  const sa = shapeOf(a);
  const sb = shapeOf(b);
  if (sa.dim > sb.dim || !boxInside(sa.box, sb.box)) return false;
  const m = relate(sa, sb);
  return m.has('I', 'I') && !m.has('I', 'E') && !m.has('B', 'E');
}

/** True when `a` contains `b`: `within(b, a)`. */
export function contains(a: Geometry, b: Geometry): boolean {
  return within(b, a);
}

/**
 * True when `a` and `b` are the same point set (DE-9IM equals): independent of ring start and
 * orientation, of the order of parts in Multi* geometries, of a line's direction and of repeated
 * or collinear intermediate vertices. Altitudes are ignored.
 */
export function equals(a: Geometry, b: Geometry): boolean {
  const sa = shapeOf(a);
  const sb = shapeOf(b);
  if (sa.dim !== sb.dim || !boxInside(sa.box, sb.box) || !boxInside(sb.box, sa.box)) return false;
  const m = relate(sa, sb);
  return m.has('I', 'I') && !m.has('I', 'E') && !m.has('B', 'E') && !m.has('E', 'I') && !m.has('E', 'B');
}

/**
 * True when `a` and `b` overlap (DE-9IM): same dimension, their interiors meet in that dimension
 * (two lines must share a stretch, not just a crossing point), and each has interior points
 * outside the other.
 */
export function overlaps(a: Geometry, b: Geometry): boolean {
  const sa = shapeOf(a);
  const sb = shapeOf(b);
  if (sa.dim !== sb.dim || !boxesTouch(sa.box, sb.box)) return false;
  const m = relate(sa, sb);
  const interiorsMeet = sa.dim === 1 ? m.linearInteriors : m.has('I', 'I');
  return interiorsMeet && m.has('I', 'E') && m.has('E', 'I');
}

/**
 * Minimum great-circle distance in metres between any point of `a` and any point of `b`;
 * 0 when they intersect. Segments are treated as great-circle arcs.
 */
export function distanceMeters(a: Geometry, b: Geometry): number {
  if (a.type === 'Point' && b.type === 'Point') {
    // What the general case below comes to for two points, without building their shapes (the
    // hot path of near-queries over point locations).
    const p: XY = [a.coordinates[0], a.coordinates[1]];
    const q: XY = [b.coordinates[0], b.coordinates[1]];
    return near(p, q) ? 0 : angle(toVec(p), toVec(q)) * EARTH_RADIUS_M;
  }
  if (intersects(a, b)) return 0;
  const sa = shapeOf(a);
  const sb = shapeOf(b);
  // Two disjoint geometries are closest at a vertex of one of them.
  let best = Infinity;
  for (const v of sa.vertices) best = Math.min(best, angleToShape(toVec(v), sb));
  for (const v of sb.vertices) best = Math.min(best, angleToShape(toVec(v), sa));
  return best * EARTH_RADIUS_M;
}

// ---------------------------------------------------------------------------------------------
// Shapes

const shapes = new WeakMap<Geometry, Shape>();

/** The (cached) shape of a geometry; geometries are treated as immutable. */
function shapeOf(g: Geometry): Shape {
  let s = shapes.get(g);
  if (!s) {
    s = buildShape(g);
    shapes.set(g, s);
  }
  return s;
}

function buildShape(g: Geometry): Shape {
  const xy = (p: Position): XY => [p[0], p[1]];
  switch (g.type) {
    case 'Point':
      return pointShape([xy(g.coordinates)]);
    case 'MultiPoint':
      return pointShape(g.coordinates.map(xy));
    case 'LineString':
      return lineShape([g.coordinates.map(xy)]);
    case 'MultiLineString':
      return lineShape(g.coordinates.map((l) => l.map(xy)));
    case 'Polygon':
      return areaShape([g.coordinates.map((r) => r.map(xy))]);
    case 'MultiPolygon':
      return areaShape(g.coordinates.map((p) => p.map((r) => r.map(xy))));
  }
}

function pointShape(points: XY[]): Shape {
  return { dim: 0, vertices: points, ...indexed([]), polygons: [], boundary: new Map(), box: boxOf(points) };
}

function lineShape(lines: XY[][]): Shape {
  // Mod-2 rule: an end point is on the boundary when an odd number of open lines end there.
  const ends = new Map<string, { p: XY; count: number }>();
  for (const line of lines) {
    const first = line[0];
    const last = line[line.length - 1];
    if (samePoint(first, last)) continue;
    for (const p of [first, last]) {
      const e = ends.get(key(p)) ?? { p, count: 0 };
      e.count++;
      ends.set(key(p), e);
    }
  }
  const boundary = new Map<string, XY>();
  for (const [k, e] of ends) if (e.count % 2 === 1) boundary.set(k, e.p);
  const vertices = lines.flat();
  return { dim: 1, vertices, ...indexed(lines.flatMap(segmentsOf)), polygons: [], boundary, box: boxOf(vertices) };
}

function areaShape(polygons: XY[][][]): Shape {
  const rings = polygons.flat();
  const vertices = rings.flat();
  return { dim: 2, vertices, ...indexed(rings.flatMap(segmentsOf)), polygons, boundary: new Map(), box: boxOf(vertices) };
}

function segmentsOf(path: XY[]): Segment[] {
  const out: Segment[] = [];
  for (let i = 1; i < path.length; i++) {
    if (!samePoint(path[i - 1], path[i])) out.push(segment(path[i - 1], path[i]));
  }
  return out;
}

function segment(a: XY, b: XY): Segment {
  return { a, b, box: [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[0], b[0]), Math.max(a[1], b[1])] };
}

function indexed(segments: Segment[]): Pick<Shape, 'segments' | 'maxSpanX'> {
  segments.sort((s, t) => s.box[0] - t.box[0]);
  return { segments, maxSpanX: segments.reduce((m, s) => Math.max(m, s.box[2] - s.box[0]), 0) };
}

/** The segments of `s` whose boxes touch `box` (within tolerance). */
function segmentsNear(s: Shape, box: Box): Segment[] {
  const segs = s.segments;
  const from = box[0] - TOLERANCE_DEG - s.maxSpanX;
  // first segment whose minimum x can still reach the box
  let lo = 0;
  let hi = segs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (segs[mid].box[0] < from) lo = mid + 1;
    else hi = mid;
  }
  const out: Segment[] = [];
  for (let i = lo; i < segs.length && segs[i].box[0] <= box[2] + TOLERANCE_DEG; i++) {
    if (boxesTouch(segs[i].box, box)) out.push(segs[i]);
  }
  return out;
}

const key = (p: XY) => `${p[0]},${p[1]}`;
const samePoint = (p: XY, q: XY) => p[0] === q[0] && p[1] === q[1];

function boxOf(points: XY[]): Box {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const [x, y] of points) {
    minX = Math.min(minX, x);
    minY = Math.min(minY, y);
    maxX = Math.max(maxX, x);
    maxY = Math.max(maxY, y);
  }
  return [minX, minY, maxX, maxY];
}

function boxesTouch(p: Box, q: Box): boolean {
  const t = TOLERANCE_DEG;
  return p[0] <= q[2] + t && q[0] <= p[2] + t && p[1] <= q[3] + t && q[1] <= p[3] + t;
}

function boxInside(inner: Box, outer: Box): boolean {
  const t = TOLERANCE_DEG;
  return inner[0] >= outer[0] - t && inner[1] >= outer[1] - t && inner[2] <= outer[2] + t && inner[3] <= outer[3] + t;
}

// ---------------------------------------------------------------------------------------------
// Planar kernel

/** Orientation of `c` relative to the line `a`→`b`: 1 left, -1 right, 0 within tolerance of it. */
function orient(a: XY, b: XY, c: XY): number {
  const cross = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
  const len = Math.hypot(b[0] - a[0], b[1] - a[1]);
  if (Math.abs(cross) <= TOLERANCE_DEG * len) return 0;
  return cross > 0 ? 1 : -1;
}

/** Parameter in [0, 1] of the projection of `p` on segment `s`. */
function paramOn(s: Segment, p: XY): number {
  const dx = s.b[0] - s.a[0];
  const dy = s.b[1] - s.a[1];
  const t = ((p[0] - s.a[0]) * dx + (p[1] - s.a[1]) * dy) / (dx * dx + dy * dy);
  return Math.min(1, Math.max(0, t));
}

function pointAt(s: Segment, t: number): XY {
  return [s.a[0] + t * (s.b[0] - s.a[0]), s.a[1] + t * (s.b[1] - s.a[1])];
}

function near(p: XY, q: XY): boolean {
  return Math.hypot(p[0] - q[0], p[1] - q[1]) <= TOLERANCE_DEG;
}

/** True when `p` is within tolerance of segment `s`. */
function onSegment(p: XY, s: Segment): boolean {
  return near(p, pointAt(s, paramOn(s, p)));
}

/**
 * Points shared by two segments: none, the crossing point, a touching end point, or the two ends
 * of a collinear overlap.
 */
function segmentIntersections(s: Segment, t: Segment): XY[] {
  if (!boxesTouch(s.box, t.box)) return [];
  const d1 = orient(t.a, t.b, s.a);
  const d2 = orient(t.a, t.b, s.b);
  const d3 = orient(s.a, s.b, t.a);
  const d4 = orient(s.a, s.b, t.b);
  if (d1 * d2 < 0 && d3 * d4 < 0) {
    const rx = s.b[0] - s.a[0];
    const ry = s.b[1] - s.a[1];
    const sx = t.b[0] - t.a[0];
    const sy = t.b[1] - t.a[1];
    const u = ((t.a[0] - s.a[0]) * sy - (t.a[1] - s.a[1]) * sx) / (rx * sy - ry * sx);
    return [pointAt(s, u)];
  }
  const out: XY[] = [];
  for (const p of [s.a, s.b]) if (onSegment(p, t)) out.push(p);
  for (const p of [t.a, t.b]) if (onSegment(p, s)) out.push(p);
  return out.filter((p, i) => out.findIndex((q) => near(p, q)) === i);
}

/** Location of `p` relative to a shape. */
function locate(s: Shape, p: XY): Loc {
  const [x, y] = p;
  const t = TOLERANCE_DEG;
  if (x < s.box[0] - t || x > s.box[2] + t || y < s.box[1] - t || y > s.box[3] + t) return 'E';
  switch (s.dim) {
    case 0:
      return s.vertices.some((v) => near(v, p)) ? 'I' : 'E';
    case 1:
      for (const b of s.boundary.values()) if (near(b, p)) return 'B';
      return segmentsNear(s, [x, y, x, y]).some((seg) => onSegment(p, seg)) ? 'I' : 'E';
    case 2: {
      let onBoundary = false;
      for (const polygon of s.polygons) {
        const loc = locateInPolygon(polygon, p);
        if (loc === 'I') return 'I';
        if (loc === 'B') onBoundary = true;
      }
      return onBoundary ? 'B' : 'E';
    }
  }
}

function locateInPolygon(rings: XY[][], p: XY): Loc {
  const outer = locateInRing(rings[0], p);
  if (outer !== 'I') return outer;
  for (let r = 1; r < rings.length; r++) {
    const loc = locateInRing(rings[r], p);
    if (loc === 'B') return 'B';
    if (loc === 'I') return 'E'; // in a hole
  }
  return 'I';
}

/** Location of `p` relative to the area a closed ring encloses (even-odd crossing test). */
function locateInRing(ring: XY[], p: XY): Loc {
  const [x, y] = p;
  const t = TOLERANCE_DEG;
  let inside = false;
  for (let i = 1; i < ring.length; i++) {
    const a = ring[i - 1];
    const b = ring[i];
    // Only edges spanning the point's latitude can touch it or cross the ray to its east.
    if ((y < a[1] - t && y < b[1] - t) || (y > a[1] + t && y > b[1] + t)) continue;
    if (x >= Math.min(a[0], b[0]) - t && x <= Math.max(a[0], b[0]) + t && onSegment(p, segment(a, b))) return 'B';
    if (a[1] > y !== b[1] > y && x < a[0] + ((y - a[1]) * (b[0] - a[0])) / (b[1] - a[1])) inside = !inside;
  }
  return inside ? 'I' : 'E';
}

/**
 * A point strictly inside a polygon (holes respected): the middle of the widest interior stretch of
 * a horizontal line placed halfway between two vertex latitudes. Null for a zero-area polygon.
 */
function interiorPoint(rings: XY[][]): XY | null {
  const ys = rings.flat().map((p) => p[1]);
  const minY = ys.reduce((m, y) => Math.min(m, y));
  const maxY = ys.reduce((m, y) => Math.max(m, y));
  if (minY === maxY) return null;
  const mid = (minY + maxY) / 2;
  const below = ys.reduce((m, y) => (y <= mid && y > m ? y : m), minY);
  const above = ys.reduce((m, y) => (y > mid && y < m ? y : m), maxY);
  const scanY = (below + above) / 2;
  const xs: number[] = [];
  for (const ring of rings) {
    for (let i = 1; i < ring.length; i++) {
      const [x1, y1] = ring[i - 1];
      const [x2, y2] = ring[i];
      if (y1 < scanY !== y2 < scanY) xs.push(x1 + ((scanY - y1) * (x2 - x1)) / (y2 - y1));
    }
  }
  xs.sort((p, q) => p - q);
  let best: XY | null = null;
  let width = 0;
  for (let i = 0; i + 1 < xs.length; i += 2) {
    if (xs[i + 1] - xs[i] > width) {
      width = xs[i + 1] - xs[i];
      best = [(xs[i] + xs[i + 1]) / 2, scanY];
    }
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// DE-9IM by sampling

/** The non-empty cells of a DE-9IM matrix (exterior × exterior left out). */
class Matrix {
  private readonly cells = new Set<string>();
  /** Both geometries are lines and their interiors share a stretch (dimension 1), not just points. */
  linearInteriors = false;

  add(la: Loc, lb: Loc): void {
    this.cells.add(la + lb);
  }

  has(la: Loc, lb: Loc): boolean {
    return this.cells.has(la + lb);
  }
}

function relate(a: Shape, b: Shape): Matrix {
  const m = new Matrix();
  const linear = a.dim === 1 && b.dim === 1;
  const sample = (la: Loc, lb: Loc, onPiece: boolean) => {
    record(m, a, b, la, lb);
    if (linear && onPiece && la === 'I' && lb === 'I') m.linearInteriors = true;
  };
  sampleSkeleton(a, b, sample);
  sampleSkeleton(b, a, (lb, la, onPiece) => sample(la, lb, onPiece));
  return m;
}

/** Locations an arbitrarily small neighbourhood of a point at location `l` always contains. */
function neighbourhood(s: Shape, l: Loc): Loc[] {
  if (l === 'E') return ['E'];
  if (l === 'I') return s.dim === 2 ? ['I'] : ['I', 'E'];
  return ['B', 'I', 'E'];
}

/** True when location `l` is an open set of the plane (so a whole neighbourhood shares it). */
function isOpen(s: Shape, l: Loc): boolean {
  return l === 'E' || (l === 'I' && s.dim === 2);
}

/**
 * Records a sample point at `la` in `a` and `lb` in `b`. When the point sits in an open region of
 * one geometry, every location the other geometry has around the point meets that region too.
 */
function record(m: Matrix, a: Shape, b: Shape, la: Loc, lb: Loc): void {
  m.add(la, lb);
  if (isOpen(a, la)) for (const l of neighbourhood(b, lb)) m.add(la, l);
  if (isOpen(b, lb)) for (const l of neighbourhood(a, la)) m.add(l, lb);
}

/**
 * Emits the locations (in `x`, in `y`) of `x`'s skeleton: its vertices, the points where its
 * segments meet `y`, one point inside each piece of its segments cut at those points (`onPiece`),
 * and one interior point per polygon.
 */
function sampleSkeleton(x: Shape, y: Shape, emit: (lx: Loc, ly: Loc, onPiece: boolean) => void): void {
  for (const v of x.vertices) emit(ownLocation(x, v), locate(y, v), false);
  for (const s of x.segments) {
    const crossings: XY[] = [];
    const ts = [0, 1];
    for (const t of segmentsNear(y, s.box)) {
      for (const p of segmentIntersections(s, t)) {
        crossings.push(p);
        ts.push(paramOn(s, p));
      }
    }
    if (y.dim === 0) for (const p of y.vertices) if (onSegment(p, s)) ts.push(paramOn(s, p));
    for (const p of crossings) emit(locate(x, p), locate(y, p), false);

    ts.sort((p, q) => p - q);
    const minStep = TOLERANCE_DEG / Math.hypot(s.b[0] - s.a[0], s.b[1] - s.a[1]);
    let from = 0;
    for (const t of ts) {
      if (t - from <= minStep) continue;
      emit(x.dim === 1 ? 'I' : 'B', locate(y, pointAt(s, (from + t) / 2)), true);
      from = t;
    }
  }
  for (const polygon of x.polygons) {
    const p = interiorPoint(polygon);
    if (p) emit('I', locate(y, p), false);
  }
}

/** Location of one of `s`'s own vertices relative to `s`. */
function ownLocation(s: Shape, v: XY): Loc {
  if (s.dim === 0) return 'I';
  if (s.dim === 2) return 'B';
  return s.boundary.has(key(v)) ? 'B' : 'I';
}

// ---------------------------------------------------------------------------------------------
// Sphere

type Vec = readonly [number, number, number];

function toVec([lon, lat]: XY): Vec {
  const l = (lon * Math.PI) / 180;
  const f = (lat * Math.PI) / 180;
  return [Math.cos(f) * Math.cos(l), Math.cos(f) * Math.sin(l), Math.sin(f)];
}

const dot = (u: Vec, v: Vec) => u[0] * v[0] + u[1] * v[1] + u[2] * v[2];
const cross = (u: Vec, v: Vec): Vec => [
  u[1] * v[2] - u[2] * v[1],
  u[2] * v[0] - u[0] * v[2],
  u[0] * v[1] - u[1] * v[0],
];
const norm = (u: Vec) => Math.hypot(u[0], u[1], u[2]);

/** Central angle (radians) between two unit vectors, accurate for tiny and large angles. */
function angle(u: Vec, v: Vec): number {
  return Math.atan2(norm(cross(u, v)), dot(u, v));
}

/** Central angle from `p` to the shorter great-circle arc `a`–`b`. */
function angleToArc(p: Vec, a: Vec, b: Vec): number {
  const n = cross(a, b);
  const len = norm(n);
  if (len < 1e-15) return Math.min(angle(p, a), angle(p, b));
  const unit: Vec = [n[0] / len, n[1] / len, n[2] / len];
  // The foot of the perpendicular lies on the arc when p is "after" a and "before" b around n.
  if (dot(cross(a, p), unit) >= 0 && dot(cross(p, b), unit) >= 0) {
    return Math.asin(Math.min(1, Math.abs(dot(p, unit))));
  }
  return Math.min(angle(p, a), angle(p, b));
}

function angleToShape(p: Vec, s: Shape): number {
  let best = Infinity;
  if (s.dim === 0) {
    for (const v of s.vertices) best = Math.min(best, angle(p, toVec(v)));
  } else {
    for (const seg of s.segments) best = Math.min(best, angleToArc(p, toVec(seg.a), toVec(seg.b)));
  }
  return best;
}
