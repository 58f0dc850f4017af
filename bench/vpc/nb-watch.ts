// The benchmark's own view of the northbound database: a monitored replica of the tables the
// measurements read, and the moments rows change in it.
import type { Clock } from '../../controllers/clock/index.ts';
import type { Logger } from '../../controllers/logging/logger.ts';
import type { OvsdbClient, nb } from '../../controllers/ovsdb/index.ts';
import { NbReplica } from '../lib/nb-replica.ts';
import { countNb, type NbCounts } from './nb-counts.ts';
import { KeyedWaiters } from './waiters.ts';

/** A row as it arrived, and when. */
export interface Seen<R> {
  row: R | undefined;
  at: number;
}

export class NbWatch {
  private readonly replica: NbReplica;
  private readonly clock: Clock;
  private readonly ports: KeyedWaiters<Seen<nb.LogicalSwitchPort>>;

  private constructor(
    replica: NbReplica,
    clock: Clock,
    ports: KeyedWaiters<Seen<nb.LogicalSwitchPort>>,
  ) {
    this.replica = replica;
    this.clock = clock;
    this.ports = ports;
  }

  get client(): OvsdbClient<nb.Tables> {
    return this.replica.client;
  }

  static async start(endpoint: string, clock: Clock, log: Logger): Promise<NbWatch> {
    const ports = new KeyedWaiters<Seen<nb.LogicalSwitchPort>>();
    const replica = await NbReplica.start(
      endpoint,
      clock,
      log,
      [
        { table: 'Logical_Switch', columns: ['name', 'ports'] },
        { table: 'Logical_Switch_Port', columns: ['name', 'up', 'external_ids'] },
        { table: 'Port_Group', columns: ['name', 'ports', 'acls', 'external_ids'] },
        { table: 'ACL', columns: ['name', 'external_ids'] },
      ],
      (client) =>
        client.replica.table('Logical_Switch_Port').onChange((change) => {
          const row = change.new ?? change.old;
          if (row) ports.offer(row.name, { row: change.new, at: clock.now() });
        }),
    );
    return new NbWatch(replica, clock, ports);
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

  /** When `test` first holds: checked now, then after each notification that changed it. */
  when(test: () => boolean, timeoutMs: number, what: string): Promise<number> {
    return this.replica.when(test, timeoutMs, what);
  }

  close(): Promise<void> {
    return this.replica.close();
  }
}
