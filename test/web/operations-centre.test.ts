/**
 * The city operations centre end to end: real headless Chromium against a real Urbis running the
 * demo city (fast), through the built app at /. Screenshots go to test-results/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { startServer, type TestServer } from '../helpers/server.js';
import { launchChromium, type Browser } from '../helpers/chromium.js';

declare global {
  interface Window {
    __urbis?: { entities: number; liveUpdates: number; firstRenderMs?: number };
  }
}

const SHOTS = path.resolve(import.meta.dirname, '..', '..', 'test-results');
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

let server: TestServer;
let browser: Browser;
let page: Page;

async function axeViolations(p: Page): Promise<string[]> {
  const r = await new AxeBuilder({ page: p }).withTags(AXE_TAGS).analyze();
  return r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
}

const hook = (p: Page) => p.evaluate(() => window.__urbis!);

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
  });

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
