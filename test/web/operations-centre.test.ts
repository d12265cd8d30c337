/**
 * The city operations centre end to end: real headless Chromium against a real Urbis running the
 * demo city (fast), through the built app at /. Screenshots go to test-results/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { startServer, type TestServer } from '../helpers/server.js';
import { launchChromium, type Browser } from '../helpers/chromium.js';

declare global {
  interface Window {
    __urbis?: { entities: number; liveUpdates: number; seen: Record<string, number>; firstRenderMs?: number; center?: [number, number] };
  }
}

const SHOTS = path.resolve(import.meta.dirname, '..', '..', 'test-results');
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const WEB_I18N = path.resolve(import.meta.dirname, '..', '..', 'web', 'src', 'i18n');

let server: TestServer;
let browser: Browser;
let page: Page;

async function axeViolations(p: Page): Promise<string[]> {
  const r = await new AxeBuilder({ page: p }).withTags(AXE_TAGS).analyze();
  return r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
}

const hook = (p: Page) => p.evaluate(() => window.__urbis!);

/** The demo's first air-quality station: its entity, and the gateway's API key and device id. */
const AIR = { id: 'urn:ngsi-ld:AirQualityObserved:demo-air-0001', k: 'demo-air', i: 'air-0001' };
const ENV_LINK = '<https://raw.githubusercontent.com/smart-data-models/dataModel.Environment/master/context.jsonld>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"';
const MINUTE = 60_000;

async function api<T>(pathAndQuery: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(server.base + pathAndQuery, { ...init, headers: { Link: ENV_LINK, Accept: 'application/json', ...init.headers } });
  expect(res.ok, `${res.status} ${pathAndQuery}`).toBe(true);
  return (res.status === 204 ? undefined : await res.json()) as T;
}
const currentAqi = async () => (await api<{ airQualityIndex: number }>(`/ngsi-ld/v1/entities/${AIR.id}?options=keyValues`)).airQualityIndex;
/** Publishes an air-quality reading through the device gateway, like the station would. */
async function publishAqi(aqi: number): Promise<void> {
  const res = await fetch(`${server.base}/iot/ul?k=${AIR.k}&i=${AIR.i}`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: `aqi|${aqi}` });
  expect(res.status).toBe(200);
}
const readingOf = (p: Page, id: string) => p.locator(`tr[data-entity="${id}"] td`).nth(2).textContent();

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await startServer({ demo: true, mqtt: 'off', demoRate: 5 });
  browser = await launchChromium();
  page = await browser.context.newPage();
  await page.goto(server.base + '/');
  await page.waitForFunction(() => (window.__urbis?.entities ?? 0) > 1000, undefined, { timeout: 30_000 });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('operations centre', () => {
  it('loads the map with the sensors of every scenario and the legend', async () => {
    const h = await hook(page);
    expect(h.entities).toBeGreaterThan(1900);
    await expect.poll(() => page.locator('.maplibregl-canvas').count()).toBe(1);
    for (const name of ['Mobility', 'Environment', 'Water', 'Energy', 'Safety']) await expect.poll(() => page.getByLabel(name).isChecked()).toBe(true);
    await page.getByLabel('Energy').uncheck();
    expect(await page.getByLabel('Energy').isChecked()).toBe(false);
    await page.getByLabel('Energy').check();
    await page.screenshot({ path: path.join(SHOTS, 'map.png') });
    console.log(`time to first render with the demo city: ${h.firstRenderMs} ms`);
    expect(await axeViolations(page)).toEqual([]);
  }, 60_000);

  it('receives live updates without reloading', async () => {
    await page.getByRole('status').filter({ hasText: 'Live' }).first().waitFor({ timeout: 10_000 });
    const before = (await hook(page)).liveUpdates;
    await page.waitForFunction((n) => window.__urbis!.liveUpdates > n, before, { timeout: 20_000 });

    // A new measure from one station shows up in the table without reload, as the server has it.
    await page.getByRole('link', { name: 'Table' }).click();
    await page.getByLabel('Layer').selectOption('environment');
    const shownBefore = await readingOf(page, AIR.id);
    const published = 400 + Math.floor(Math.random() * 90);
    await publishAqi(published);
    expect(String(published)).not.toBe(shownBefore);
    // The simulator may publish a newer reading meanwhile: the table must follow the server.
    await expect.poll(async () => (await readingOf(page, AIR.id)) === String(await currentAqi()) && (await readingOf(page, AIR.id)) !== shownBefore, { timeout: 20_000 }).toBe(true);
    await page.getByRole('link', { name: 'Map' }).click();
  }, 60_000);

  it('shows each layer in a sortable table, and a sensor panel with its history chart', async () => {
    await page.getByRole('link', { name: 'Table' }).click();
    const caption = page.locator('caption#table-caption');
    for (const [layer, type] of [['water', 'FloodMonitoring'], ['safety', 'DeviceMeasurement'], ['mobility', 'Vehicle'], ['energy', 'Streetlight'], ['environment', 'AirQualityObserved']]) {
      await page.getByLabel('Layer').selectOption(layer);
      await expect.poll(() => page.locator(`tbody tr td:text-is("${type}")`).count()).toBeGreaterThan(0);
    }
    expect(await caption.textContent()).toMatch(/Environment: \d+ sensors/);
    const th = page.locator('th[scope=col]').first();
    expect(await th.getAttribute('aria-sort')).toBe('ascending');
    await th.getByRole('button').click();
    expect(await th.getAttribute('aria-sort')).toBe('descending');
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, 'table.png') });

    await page.locator('tbody tr', { has: page.locator('td:text-is("AirQualityObserved")') }).first().getByRole('button').click();
    const panel = page.locator('aside.panel');
    await panel.locator('th[scope=row]:text-is("airQualityIndex")').waitFor();
    await panel.locator('[data-testid=chart]').waitFor({ timeout: 20_000 });
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, 'panel.png') });
    await panel.getByRole('button', { name: 'Close' }).click();
  }, 60_000);

  it('renders the vital signs, each linking to the map filtered to its cause', async () => {
    await page.getByRole('link', { name: 'Vital signs' }).click();
    await page.locator('[data-vital=lampsFailing]').waitFor();
    expect(await page.locator('[data-vital]').count()).toBe(9);
    expect(await page.locator('[data-vital=airQuality] .vital-state').textContent()).toMatch(/Normal|Warning|Alert/);
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, 'vitals.png') });
    await page.locator('[data-vital=lampsFailing] a').click();
    await page.getByText('Showing only: Streetlight status defectiveLamp').waitFor();
    expect(new URL(page.url()).searchParams.get('type')).toBe('Streetlight');
  });

  it('switches the language of the visible strings and <html lang>', async () => {
    await page.goto(server.base + '/vitals');
    await page.getByLabel('Language').selectOption('zh-CN');
    await page.getByRole('heading', { name: '城市体征' }).waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
    expect(await page.locator('h1').textContent()).toBe('Urbis 城市运行中心');
    expect(await page.getByRole('link', { name: '地图', exact: true }).count()).toBe(1);
    await page.screenshot({ path: path.join(SHOTS, 'vitals-zh.png') });
    await page.getByLabel('语言').selectOption('en');
    await page.getByRole('heading', { name: 'City vital signs' }).waitFor();
  });

  it('leaves no English interface string visible in Chinese, on every page and the open panel', async () => {
    const en = JSON.parse(readFileSync(path.join(WEB_I18N, 'en.json'), 'utf8')) as Record<string, string>;
    const zh = JSON.parse(readFileSync(path.join(WEB_I18N, 'zh.json'), 'utf8')) as Record<string, string>;
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
    // Interface strings without placeholders; a visible line equal to one of them is untranslated.
    const english = new Set(Object.values(en).filter((v) => !v.includes('{')));
    const untranslated = async () =>
      (await page.evaluate(() => document.body.innerText)).split('\n').map((l) => l.trim()).filter((l) => english.has(l));
    await page.goto(server.base + '/');
    await page.getByLabel('Language').selectOption('zh-CN');
    try {
      for (const where of ['/', '/table', '/vitals']) {
        await page.goto(server.base + where);
        await page.locator('html[lang="zh-CN"]').waitFor();
        await page.waitForFunction(() => (window.__urbis?.entities ?? 0) > 1000, undefined, { timeout: 30_000 });
        expect(await untranslated(), where).toEqual([]);
      }
      await page.goto(server.base + '/table');
      await page.locator('tbody tr').first().getByRole('button').first().click();
      await page.locator('aside, [role="dialog"], [role="complementary"]').first().waitFor();
      expect(await untranslated(), 'panel').toEqual([]);
    } finally {
      await page.goto(server.base + '/');
      await page.getByLabel('语言').selectOption('en');
    }
  });

  it('reaches every control of the map page with the keyboard alone', async () => {
    await page.goto(server.base + '/');
    await page.waitForFunction(() => (window.__urbis?.entities ?? 0) > 1000);
    const controls = await page.evaluate(() =>
      [...document.querySelectorAll('a[href], button, input, select, [tabindex="0"]')]
        .filter((e) => (e as HTMLElement).offsetParent !== null || e.classList.contains('map'))
        .map((e, i) => ((e as HTMLElement).dataset.kb = String(i))),
    );
    const reached = new Set<string>();
    for (let i = 0; i < controls.length * 2 + 10 && reached.size < controls.length; i++) {
      await page.keyboard.press('Tab');
      const k = await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.kb);
      if (k !== undefined) reached.add(k);
    }
    expect([...reached].sort()).toEqual([...controls].sort());
  }, 60_000);
});

describe('operations centre: replay, search, tablet', () => {
  it('replays the city at an instant of the last 24 hours from history, and returns to live', async () => {
    await page.goto(server.base + '/');
    await page.waitForFunction(() => (window.__urbis?.entities ?? 0) > 1000);
    // Three hours ago the station read 321 (imported history; the demo itself started just now).
    const recorded = new Date(Date.now() - 3 * 60 * MINUTE).toISOString();
    await api(`/ngsi-ld/v1/temporal/entities/${AIR.id}/attrs`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ airQualityIndex: [{ type: 'Property', value: 321, observedAt: recorded }] }),
    });
    const slider = page.getByRole('slider', { name: 'Time shown' });
    expect(await slider.getAttribute('aria-valuetext')).toMatch(/\(live\)$/);
    const max = Number(await slider.getAttribute('max'));
    const instant = max - 120 * MINUTE;
    await slider.fill(String(instant));
    const at = new Date(instant).toISOString();
    await page.locator(`[data-replay-at="${at}"]`).waitFor({ timeout: 20_000 });
    expect(await slider.getAttribute('aria-valuetext')).toBe(new Intl.DateTimeFormat('en', { dateStyle: 'short', timeStyle: 'medium' }).format(instant));

    // What the temporal API says the station read at that instant...
    const direct = await api<Array<{ id: string; airQualityIndex?: { values: Array<[number, string]> } }>>(
      `/ngsi-ld/v1/temporal/entities?type=AirQualityObserved&attrs=airQualityIndex&timerel=before&timeAt=${encodeURIComponent(at)}&lastN=1&options=temporalValues`,
    );
    const then = direct.find((e) => e.id === AIR.id)!.airQualityIndex!.values[0][0];
    expect(then).toBe(321);
    expect(await currentAqi()).not.toBe(321);
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, 'replay.png') });

    // ...is what the table shows while replaying, and live updates do not overwrite it.
    await page.getByRole('link', { name: 'Table' }).click();
    await page.getByLabel('Layer').selectOption('environment');
    await expect.poll(() => readingOf(page, AIR.id)).toBe(String(then));
    expect(await page.locator(`tr[data-entity="${AIR.id}"] td`).nth(1).textContent()).toBe('Alert');
    const seen = (await hook(page)).seen[AIR.id] ?? 0;
    await publishAqi(42);
    await page.waitForFunction(([id, n]) => (window.__urbis!.seen[id as string] ?? 0) > (n as number), [AIR.id, seen], { timeout: 20_000 });
    expect(await readingOf(page, AIR.id)).toBe(String(then));

    await page.getByRole('button', { name: 'Back to live' }).click();
    await page.getByText('Showing the live city').waitFor();
    await expect.poll(async () => (await readingOf(page, AIR.id)) === String(await currentAqi()), { timeout: 20_000 }).toBe(true);
    await page.getByRole('link', { name: 'Map' }).click();
  }, 60_000);

  it('finds a sensor by its name and opens it on the map', async () => {
    const station = await api<{ name: string; location: { coordinates: [number, number] } }>(`/ngsi-ld/v1/entities/${AIR.id}?options=keyValues`);
    const search = page.getByRole('search');
    const box = search.getByRole('searchbox', { name: 'Find a sensor' });
    // A district name finds every sensor named after it.
    const district = /\(([^)]+)\)/.exec(station.name)![1];
    await box.fill(district);
    await expect.poll(() => search.getByRole('list', { name: 'Matching sensors' }).getByRole('button').count()).toBeGreaterThan(1);
    await box.fill(station.name);
    const result = search.getByRole('button', { name: new RegExp(`^${station.name.replace(/[()]/g, '\\$&')}`) });
    await result.waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, 'search.png') });
    await result.click();
    const panel = page.locator('aside.panel');
    await panel.getByRole('heading', { name: station.name }).waitFor();
    await panel.locator('th[scope=row]:text-is("airQualityIndex")').waitFor();
    await expect.poll(async () => {
      const c = (await hook(page)).center;
      return c !== undefined && Math.hypot(c[0] - station.location.coordinates[0], c[1] - station.location.coordinates[1]) < 1e-6;
    }).toBe(true);
    await panel.getByRole('button', { name: 'Close' }).click();
  }, 60_000);

  it('fits a tablet (768×1024): no horizontal scroll, legend and panel apart, every control visible', async () => {
    const p = await browser.context.newPage();
    try {
      await p.setViewportSize({ width: 768, height: 1024 });
      await p.goto(`${server.base}/?entity=${encodeURIComponent(AIR.id)}`);
      await p.waitForFunction(() => (window.__urbis?.entities ?? 0) > 1000, undefined, { timeout: 30_000 });
      await p.locator('aside.panel th[scope=row]:text-is("airQualityIndex")').waitFor();
      await p.screenshot({ path: path.join(SHOTS, 'tablet.png') });
      const layout = await p.evaluate(() => {
        const box = (s: string) => document.querySelector(s)!.getBoundingClientRect();
        const [legend, panel] = [box('.legend'), box('aside.panel')];
        const overlap = legend.right > panel.left && panel.right > legend.left && legend.bottom > panel.top && panel.bottom > legend.top;
        const hidden: string[] = [];
        for (const e of document.querySelectorAll<HTMLElement>('a[href], button, input, select, [tabindex="0"]')) {
          if (e.offsetParent === null && !e.classList.contains('map')) continue;
          e.scrollIntoView({ block: 'nearest', inline: 'nearest' });
          const r = e.getBoundingClientRect();
          const inside = r.left >= 0 && r.right <= innerWidth && r.top >= 0 && r.bottom <= innerHeight;
          // Uncovered at its centre or, for large ones like the map beside the panel, near a corner.
          const points = [[r.left + r.width / 2, r.top + r.height / 2], [r.left + 4, r.top + 4], [r.left + 4, r.bottom - 4], [r.right - 4, r.top + 4], [r.right - 4, r.bottom - 4]];
          const seen = points.some(([x, y]) => {
            const top = document.elementFromPoint(x, y);
            return top !== null && (e === top || e.contains(top));
          });
          if (!inside || !seen) hidden.push(e.outerHTML.slice(0, 80));
        }
        return { scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth, overlap, hidden };
      });
      expect(layout.scroll).toBeLessThanOrEqual(layout.client);
      expect(layout.overlap).toBe(false);
      expect(layout.hidden).toEqual([]);
    } finally {
      await p.close();
    }
  }, 60_000);
});

describe('operations centre with access control on', () => {
  it('shows anonymous visitors public data only, and staff data after signing in', async () => {
    const secured = await startServer({ open: false, demo: true, mqtt: 'off' });
    const p = await browser.context.newPage();
    try {
      await p.goto(secured.base + '/');
      await p.getByRole('heading', { name: 'Urbis operations centre' }).waitFor();
      // The default policy makes every type internal: anonymous visitors see no sensors.
      await p.getByText('0 sensors shown').waitFor();
      await p.getByLabel('User name').fill('demo-operator');
      await p.getByLabel('Password').fill('demo-operator-only-for-the-demo');
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.getByText(/Signed in as/).waitFor();
      await p.waitForFunction(() => (window.__urbis?.entities ?? 0) > 1900, undefined, { timeout: 30_000 });
      expect(await axeViolations(p)).toEqual([]);
    } finally {
      await p.close();
      await secured.close();
    }
  }, 90_000);
});

describe('operations centre with raster tiles configured (--map-tiles)', () => {
  it('draws the configured tiles under the city, allowed by the page CSP, with their attribution', async () => {
    // A tile server on loopback: every tile is the same 1×1 PNG; it counts the requests.
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
    const requested: string[] = [];
    const tiles = http.createServer((req, res) => {
      requested.push(req.url ?? '');
      res.writeHead(200, { 'Content-Type': 'image/png', 'Access-Control-Allow-Origin': '*' }).end(png);
    });
    await new Promise<void>((r) => tiles.listen(0, '127.0.0.1', r));
    const tileBase = `http://127.0.0.1:${(tiles.address() as AddressInfo).port}`;
    const withTiles = await startServer({ mapTiles: `${tileBase}/{z}/{x}/{y}.png`, mapAttribution: '© Test tiles' });
    const p = await browser.context.newPage();
    const blocked: string[] = [];
    p.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) blocked.push(m.text());
    });
    try {
      expect((await (await fetch(`${withTiles.base}/city/map`)).json())).toEqual({ tiles: `${tileBase}/{z}/{x}/{y}.png`, attribution: '© Test tiles' });
      await p.goto(withTiles.base + '/');
      await p.getByText('© Test tiles').waitFor();
      await p.waitForFunction(() => document.querySelector('canvas') !== null);
      const deadline = Date.now() + 20_000;
      while (requested.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(requested.length).toBeGreaterThan(0);
      expect(requested[0]).toMatch(/^\/\d+\/\d+\/\d+\.png$/);
      expect(blocked).toEqual([]);
    } finally {
      await p.close();
      await withTiles.close();
      await new Promise((r) => tiles.close(r));
    }
  }, 60_000);

  it('without tiles, the map configuration says so and the map stays offline', async () => {
    expect(await (await fetch(`${server.base}/city/map`)).json()).toEqual({ tiles: null, attribution: null });
  });
});
