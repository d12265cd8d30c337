/**
 * Keeping what a node holds in memory in step with the other nodes: `follow` runs `reload`
 * whenever another node announces a change on a channel (or the bus came back after a
 * disconnection), never two at once; announcements that arrive during a reload are served by one
 * more reload after it, however many they were.
 */
import type { Channel, ClusterBus } from './bus.js';

export interface Following {
  /** Resolves when no reload runs or waits. */
  idle(): Promise<void>;
  stop(): void;
}

export function follow(bus: ClusterBus, channel: Channel, reload: () => Promise<void>, onError: (err: unknown) => void): Following {
  let running: Promise<void> | undefined;
  let again = false;
  const run = async () => {
    do {
      again = false;
      try {
        await reload();
      } catch (err) {
        onError(err);
      }
    } while (again);
    running = undefined;
  };
  const stop = bus.subscribe(channel, () => {
    if (running) again = true;
    else running = run();
  });
  return {
    async idle() {
      await running;
    },
    stop,
  };
}
