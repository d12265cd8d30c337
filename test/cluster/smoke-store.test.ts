import { describe, expect, it } from 'vitest';
import { onPostgres, startServer } from '../helpers/server.js';

describe('store selection', () => {
  it('runs on the store of the run', async () => {
    const s = await startServer();
    try {
      expect(s.urbis.stores.kind).toBe(onPostgres ? 'postgres' : 'sqlite');
    } finally {
      await s.close();
    }
  });
});
