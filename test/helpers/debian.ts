/**
 * Debian packages the tests need (a real Mosquitto, a real Chromium). CI starts from a clean
 * machine, so the global set-up installs what is missing once, before any test runs (two test
 * files installing at the same time would fight over dpkg's lock).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Package name → the file it installs that tells it is there. */
export const TEST_PACKAGES: Record<string, string> = {
  mosquitto: '/usr/sbin/mosquitto',
  chromium: '/usr/bin/chromium',
};

const aptGet = (args: string[]) =>
  execFileSync('apt-get', args, { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, stdio: 'pipe', timeout: 900_000 });

/** Installs the missing packages with apt-get (refreshing the package lists if the first try fails). */
export function ensureDebianPackages(packages: Record<string, string> = TEST_PACKAGES): void {
  const missing = Object.entries(packages).filter(([, file]) => !existsSync(file)).map(([name]) => name);
  if (missing.length === 0) return;
  const install = ['install', '-y', '-q', '--no-install-recommends', ...missing];
  try {
    aptGet(install);
  } catch {
    aptGet(['update', '-q']);
    aptGet(install);
  }
  for (const name of missing) {
    if (!existsSync(packages[name])) throw new Error(`apt-get install ${name} did not install ${packages[name]}`);
  }
}

/** Throws unless the package is there (the global set-up installs it). */
export function requirePackage(name: string): string {
  const file = TEST_PACKAGES[name];
  if (!existsSync(file)) ensureDebianPackages({ [name]: file });
  return file;
}
