// The heartbeats of every host one agent answers for (one, or N simulated), each its own Lease
// renewed every interval. They run apart from the controllers: a host heartbeats even while a
// module's cache is still filling.
import {
  errorMessage,
  type Clock,
  type Lease,
  type LeaseClient,
  type Logger,
} from '../../controllers/index.ts';
import { renewLease } from './lease.ts';

export interface HeartbeatsOptions {
  client: LeaseClient;
  namespace: string;
  hosts: readonly string[];
  intervalMs: number;
  /** Labels of each new Lease (simulated hosts carry host.kcloud.io/simulated). */
  labels?: Record<string, string>;
  clock: Clock;
  log: Logger;
}

/** The Lease lasts four intervals: three renewals may fail before the manager starts its grace. */
export function leaseDurationSeconds(intervalMs: number): number {
  return Math.ceil((intervalMs * 4) / 1000);
}

export class Heartbeats {
  private readonly opts: HeartbeatsOptions;
  private readonly last = new Map<string, number>();
  /** Each host's Lease as its last renewal returned it: the next renewal needs no read. */
  private readonly leases = new Map<string, Lease>();

  constructor(opts: HeartbeatsOptions) {
    this.opts = opts;
  }

  /** Every host renewed its Lease within the last two intervals. */
  fresh(): boolean {
    const now = this.opts.clock.now();
    return this.opts.hosts.every(
      (h) => now - (this.last.get(h) ?? -Infinity) < 2 * this.opts.intervalMs,
    );
  }

  private async beat(host: string): Promise<void> {
    const { opts } = this;
    try {
      const lease = await renewLease(
        opts.client,
        {
          namespace: opts.namespace,
          hostName: host,
          leaseDurationSeconds: leaseDurationSeconds(opts.intervalMs),
          ...(opts.labels ? { labels: opts.labels } : {}),
          now: () => opts.clock.now(),
        },
        this.leases.get(host),
      );
      this.leases.set(host, lease);
      if (!this.last.has(host)) {
        opts.log.info('heartbeat registered', { lease: `${opts.namespace}/${host}` });
      }
      this.last.set(host, opts.clock.now());
    } catch (err) {
      // Changed by someone else (a conflict), or gone: the next renewal reads it again.
      this.leases.delete(host);
      opts.log.warn('heartbeat failed', { host, error: errorMessage(err) });
    }
  }

  /**
   * Renews each host's Lease every interval until the signal aborts; the first host's now, the
   * others' spread evenly over the interval, as that many machines would. A thousand simulated
   * hosts renewing at the same moment meet the API server's priority-and-fairness limits
   * together and are refused (429 Too Many Requests) round after round.
   */
  async run(signal: AbortSignal): Promise<void> {
    const { hosts, intervalMs, clock } = this.opts;
    await Promise.all(
      hosts.map(async (host, i) => {
        const offset = (i * intervalMs) / hosts.length;
        if (offset > 0) await clock.sleep(offset, signal).catch(() => undefined);
        while (!signal.aborted) {
          await this.beat(host);
          await clock.sleep(intervalMs, signal).catch(() => undefined);
        }
      }),
    );
  }
}
