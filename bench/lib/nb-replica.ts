// A benchmark's own replica of the OVN northbound database: the tables it reads, monitored, and
// waits for a condition over them that are checked once per notification, however many rows
// it changed.
import type { Clock } from '../../controllers/clock/index.ts';
import type { Logger } from '../../controllers/logging/logger.ts';
import { OvsdbClient, type MonitorRequests, type nb } from '../../controllers/ovsdb/index.ts';

export class NbReplica {
  readonly client: OvsdbClient<nb.Tables>;
  private readonly clock: Clock;
  private readonly changed = new Set<() => void>();
  private checkQueued = false;

  private constructor(client: OvsdbClient<nb.Tables>, clock: Clock) {
    this.client = client;
    this.clock = clock;
    client.replica.onChange(() => {
      if (this.checkQueued || this.changed.size === 0) return;
      this.checkQueued = true;
      queueMicrotask(() => {
        this.checkQueued = false;
        for (const check of [...this.changed]) check();
      });
    });
  }

  /**
   * Connects and monitors `tables`. `beforeMonitor` runs before the first rows arrive, so a
   * listener it adds sees every row, the initial ones too.
   */
  static async start(
    endpoint: string,
    clock: Clock,
    log: Logger,
    tables: readonly MonitorRequests<nb.Tables>[],
    beforeMonitor: (client: OvsdbClient<nb.Tables>) => void = () => undefined,
  ): Promise<NbReplica> {
    const client = OvsdbClient.connect<nb.Tables>({
      endpoints: [endpoint],
      database: 'OVN_Northbound',
      log,
      clock,
    });
    const replica = new NbReplica(client, clock);
    beforeMonitor(client);
    try {
      await client.monitor([...tables]);
    } catch (err) {
      await client.close();
      throw err;
    }
    return replica;
  }

  /** When `test` first holds: now, or after the notification that made it hold. */
  when(test: () => boolean, timeoutMs: number, what: string): Promise<number> {
    if (test()) return Promise.resolve(this.clock.now());
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!test()) return;
        this.changed.delete(check);
        timer.cancel();
        resolve(this.clock.now());
      };
      const timer = this.clock.setTimer(() => {
        this.changed.delete(check);
        reject(new Error(`timed out after ${String(timeoutMs / 1000)} s waiting for ${what}`));
      }, timeoutMs);
      this.changed.add(check);
    });
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
