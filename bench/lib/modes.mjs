/**
 * The sizes of a run per mode. full is what issue 7 asks for (under 10 minutes on 2 cores); quick
 * scales the data down for development (under 2 minutes); smoke is a few seconds, for the test
 * that checks the suite runs. `postgres` holds the sizes of the PostgreSQL figures (P1pg, P3pg,
 * P5pg): in full mode the same as SQLite's (scaled down, P3pg and P5pg met targets they miss at
 * full size), in quick mode fewer (5,000 entities, 50,000 instances) so that the run keeps under
 * 2 minutes; the other members are shared. Each figure records the sizes it was measured with.
 */
export const MODES = {
  full: {
    entities: 100_000, // P1 loads them; P2, P3, P4, P7 run over them
    upsertConcurrency: 4, // batch requests in flight during P1
    concurrency: 64, // P2 and the hello-world ceiling
    rateSeconds: 20, // P2 and the hello-world ceiling
    querySeconds: 10, // P3 and P4, one request at a time
    loadedQuerySeconds: 5, // P3 and P4 again with 8 in flight
    settleSeconds: 8, // P7: idle time before reading the resident memory
    instances: 1_000_000, // P5
    aggregationRuns: 7, // P5: the median of these
    notifyRate: 2000, // P6 updates/s
    notifySeconds: 60,
    postgres: { entities: 100_000, instances: 1_000_000 },
  },
  quick: {
    entities: 10_000,
    upsertConcurrency: 4,
    concurrency: 64,
    rateSeconds: 6,
    querySeconds: 4,
    loadedQuerySeconds: 2,
    settleSeconds: 4,
    instances: 200_000,
    aggregationRuns: 5,
    notifyRate: 2000,
    notifySeconds: 10,
    postgres: { entities: 5_000, instances: 50_000 },
  },
  smoke: {
    entities: 500,
    upsertConcurrency: 2,
    concurrency: 8,
    rateSeconds: 0.5,
    querySeconds: 0.5,
    loadedQuerySeconds: 0.3,
    settleSeconds: 0.5,
    instances: 5_000,
    aggregationRuns: 3,
    notifyRate: 200,
    notifySeconds: 1,
    postgres: { entities: 500, instances: 5_000 },
  },
};
