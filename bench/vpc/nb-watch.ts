// The benchmark's own view of the northbound database: a monitored replica of the tables the
// measurements read, and the moments rows change in it.
import type { Clock } from '../../controllers/clock/index.ts';
import type { Logger } from '../../controllers/logging/logger.ts';
import { OvsdbClient, type nb } from '../../controllers/ovsdb/index.ts';
import { countNb, type NbCounts } from './nb-counts.ts';
import { KeyedWaiters } from './waiters.ts';

/** A row as it arrived, and when. */
export interface Seen<R> {
  row: R | undefined;
  at: number;
}

export class NbWatch {
  readonly client: OvsdbClient<nb.Tables>;
  private readonly clock: Clock;
  private readonly ports = new KeyedWaiters<Seen<nb.LogicalSwitchPort>>();
  private readonly changed = new Set<() => void>();
  private checkQueued = false;

  private constructor(client: OvsdbClient<nb.Tables>, clock: Clock) {
    this.client = client;
    this.clock = clock;
    client.replica.table('Logical_Switch_Port').onChange((change) => {
      const row = change.new ?? change.old;
      if (row) this.ports.offer(row.name, { row: change.new, at: this.clock.now() });
    });
    client.replica.onChange(() => {
      // Once per notification, however many rows it changed.
      if (this.checkQueued || this.changed.size === 0) return;
      this.checkQueued = true;
      queueMicrotask(() => {
        this.checkQueued = false;
        for (const check of [...this.changed]) check();
      });
    });
  }

  static async start(endpoint: string, clock: Clock, log: Logger): Promise<NbWatch> {
    const client = OvsdbClient.connect<nb.Tables>({
      endpoints: [endpoint],
      database: 'OVN_Northbound',
      log,
      clock,
    });
    const watch = new NbWatch(client, clock);
    try {
      await client.monitor([
        { table: 'Logical_Switch', columns: ['name', 'ports'] },
        { table: 'Logical_Switch_Port', columns: ['name', 'up', 'external_ids'] },
        { table: 'Port_Group', columns: ['name', 'ports', 'acls', 'external_ids'] },
        { table: 'ACL', columns: ['name', 'external_ids'] },
      ]);
    } catch (err) {
      await client.close();
      throw err;
    }
    return watch;
  }

  counts(namespace: string, isScaleNic: (name: string) => boolean): NbCounts {
    const r = this.client.replica;
    return countNb(
      {
        switches: r.table('Logical_Switch').rows(),
        ports: r.table('Logical_Switch_Port').rows(),
        groups: r.table('Port_Group').rows(),
      },
      namespace,
      isScaleNic,
    );
  }

  port(name: string): nb.LogicalSwitchPort | undefined {
    return this.client.replica.table('Logical_Switch_Port').findByName(name);
  }

  /** When the logical switch port `name` is reported up (now, if it already is). */
  async portUp(name: string, timeoutMs: number): Promise<number> {
    const current = this.port(name);
    const seen = await this.ports.wait(name, (s) => s.row?.up === true, {
      clock: this.clock,
      timeoutMs,
      what: `logical switch port ${name} to be up`,
      current: current ? { row: current, at: this.clock.now() } : undefined,
    });
    return seen.at;
  }

  /** Names of the ACLs of port group `group`. */
  aclNames(group: string): string[] {
    const r = this.client.replica;
    const pg = r.table('Port_Group').findByName(group);
    const acls = r.table('ACL');
    return (pg?.acls ?? []).map((uuid) => acls.get(uuid)?.name ?? '');
  }

  /**
   * When `test` first holds: checked now, then after each notification that changed the
   * replica.
   */
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
        reject(new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`));
      }, timeoutMs);
      this.changed.add(check);
    });
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
