// The heartbeats of every host one agent answers for (one, or N simulated), each its own Lease
// renewed every interval. They run apart from the controllers: a host heartbeats even while a
// module's cache is still filling.
import {
  errorMessage,
  type Clock,
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
      await renewLease(opts.client, {
        namespace: opts.namespace,
        hostName: host,
        leaseDurationSeconds: leaseDurationSeconds(opts.intervalMs),
        ...(opts.labels ? { labels: opts.labels } : {}),
        now: () => opts.clock.now(),
      });
      if (!this.last.has(host)) {
        opts.log.info('heartbeat registered', { lease: `${opts.namespace}/${host}` });
      }
      this.last.set(host, opts.clock.now());
    } catch (err) {
      opts.log.warn('heartbeat failed', { host, error: errorMessage(err) });
    }
  }

  /** Renews every host's Lease now and then every interval, until the signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await Promise.all(this.opts.hosts.map((h) => this.beat(h)));
      await this.opts.clock.sleep(this.opts.intervalMs, signal).catch(() => undefined);
    }
  }
}
