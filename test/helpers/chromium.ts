/**
 * Real headless Chromium (Debian's package, installed by the global set-up when missing) for
 * browser tests through playwright-core; each browser gets a fresh user-data directory, removed
 * when it closes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { TEST_PACKAGES, requirePackage } from './debian.js';

const BINARY = TEST_PACKAGES.chromium;

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Browser> {
  requirePackage('chromium');
  const dir = mkdtempSync(path.join(tmpdir(), 'urbis-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: BINARY,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
