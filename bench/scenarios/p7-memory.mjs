/**
 * P7 resident memory: VmRSS of the Urbis process (/proc/<pid>/status) with the city loaded (by P1)
 * and queried (by P3 and P4), after it has been idle for a few seconds (time for V8 to collect
 * garbage once allocation stops). Also records the memory right after the load.
 */
import { update } from '../lib/progress.mjs';
import { figure, TARGETS } from '../lib/report.mjs';
import { round } from '../lib/stats.mjs';

export async function residentMemory({ sizes, urbis, afterLoadMB }) {
  const samples = [];
  const end = Date.now() + sizes.settleSeconds * 1000;
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, 250));
    samples.push(urbis.rssMB());
    update(`P7 idle, resident ${samples.at(-1).toFixed(1)} MB`);
  }
  samples.push(urbis.rssMB());
  return figure(round(samples.at(-1), 1), 'MB', null, TARGETS.P7, {
    entities: sizes.entities,
    attributesPerEntity: 10,
    idleSeconds: sizes.settleSeconds,
    afterLoadMB: round(afterLoadMB, 1),
    idleMinMB: round(Math.min(...samples), 1),
  });
}
