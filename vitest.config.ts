import { defineConfig } from 'vitest/config';

/**
 * Two runs: every test on the embedded SQLite store, and the API tests again on PostgreSQL +
 * PostGIS (the global set-up starts a throwaway cluster; URBIS_TEST_STORE makes the test helpers
 * give each server its own database in it).
 */
const API_TESTS = ['test/http/**/*.test.ts', 'test/archive/**/*.test.ts', 'test/temporal/**/*.test.ts', 'test/subscriptions/**/*.test.ts', 'test/identity/**/*.test.ts', 'test/audit/**/*.test.ts', 'test/ingest/**/*.test.ts', 'test/jsonld/**/*.test.ts', 'test/cluster/**/*.test.ts'];

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'sqlite', include: ['test/**/*.test.ts'], exclude: ['test/cluster/**'] } },
      { extends: true, test: { name: 'postgres', include: API_TESTS, env: { URBIS_TEST_STORE: 'postgres' } } },
    ],
  },
});
