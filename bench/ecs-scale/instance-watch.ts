// The benchmark's own informer on the measured Instances: when each was first seen bound to a
// host (the scheduler's decision) and first seen Running.
import type { Clock } from '../../controllers/clock/index.ts';
import { Informer } from '../../controllers/informer/index.ts';
import { ObjectClient, type ApiClient } from '../../controllers/kube/index.ts';
import type { Logger } from '../../controllers/logging/logger.ts';
import { hostLabel, Instance, type InstanceObject } from '../../operators/ecs/index.ts';

/** The benchmark's instance names: `i-<index>`. */
export const instanceName = (index: number) => `i-${String(index)}`;

export function indexOf(name: string | undefined): number | undefined {
  const m = /^i-(\d+)$/.exec(name ?? '');
  return m ? Number(m[1]) : undefined;
}

/** Why an instance is not Running yet, as its status says: phase and the first False reason. */
export function stuckReason(i: InstanceObject): string {
  const phase = i.status?.phase ?? 'no phase';
  const failing = (i.status?.conditions ?? []).find(
    (c) => c.type !== 'Ready' && c.status !== 'True',
  );
  return failing ? `${phase}, ${failing.type} ${failing.reason}` : phase;
}

export class InstanceWatch {
  readonly informer: Informer<InstanceObject>;
  readonly boundAt: (number | undefined)[];
  readonly runningAt: (number | undefined)[];
  private running = 0;
  private bound = 0;
  private lastRunningAt = 0;

  constructor(opts: {
    api: ApiClient;
    namespace: string;
    count: number;
    clock: Clock;
    log: Logger;
  }) {
    const { clock } = opts;
    this.boundAt = new Array<number | undefined>(opts.count).fill(undefined);
    this.runningAt = new Array<number | undefined>(opts.count).fill(undefined);
    this.informer = new Informer<InstanceObject>({
      name: 'bench-instances',
      client: new ObjectClient<InstanceObject>(opts.api, Instance.resource),
      namespace: opts.namespace,
      clock,
      log: opts.log,
    });
    const seen = (i: InstanceObject) => {
      const index = indexOf(i.metadata.name);
      if (index === undefined || index >= opts.count) return;
      const now = clock.now();
      if (this.boundAt[index] === undefined && i.metadata.labels?.[hostLabel] !== undefined) {
        this.boundAt[index] = now;
        this.bound++;
      }
      if (this.runningAt[index] === undefined && i.status?.phase === 'Running') {
        this.runningAt[index] = now;
        this.running++;
        this.lastRunningAt = now;
      }
    };
    this.informer.addHandler({
      onAdd: seen,
      onUpdate: (_old, i) => {
        seen(i);
      },
    });
  }

  get boundCount(): number {
    return this.bound;
  }

  get runningCount(): number {
    return this.running;
  }

  /** When the last instance so far was first seen Running (0 before any). */
  get lastRunning(): number {
    return this.lastRunningAt;
  }

  /** How many of the instances not Running are in each state, most first. */
  notRunning(): [string, number][] {
    const counts = new Map<string, number>();
    for (const i of this.informer.cache.list()) {
      const index = indexOf(i.metadata.name);
      if (index === undefined || this.runningAt[index] !== undefined) continue;
      const why = stuckReason(i);
      counts.set(why, (counts.get(why) ?? 0) + 1);
    }
    return [...counts].sort(([, a], [, b]) => b - a);
  }
}
