// When each instance passed each step on its way to running, as the bench's own informers first
// see it: scheduled (a host in its status), its boot volume Available, that volume attached on
// the host, its address known; and when QEMU started, from the boot time the agent records the
// moment the VM runs. Informers, not polling: one watch per kind costs the API server nothing
// per instance.
import type { Clock } from '../../controllers/clock/index.ts';
import { Informer } from '../../controllers/informer/index.ts';
import { ObjectClient, type ApiClient, type KubeObject } from '../../controllers/kube/index.ts';
import type { Logger } from '../../controllers/logging/logger.ts';
import { Instance, type InstanceObject } from '../../operators/ecs/index.ts';
import {
  Volume,
  VolumeAttachment,
  type VolumeAttachmentObject,
  type VolumeObject,
} from '../../operators/evs/index.ts';
import { until } from '../lib/until.ts';

/** Milliseconds from the apply to each step; undefined when it was not seen. */
export interface InstanceSteps {
  scheduled?: number;
  volumeAvailable?: number;
  attached?: number;
  addressKnown?: number;
  qemuRunning?: number;
}

interface Seen {
  applied: number;
  scheduled?: number;
  bootVolume?: string;
  ip?: string;
  mac?: string;
  addressKnown?: number;
  qemuRunning?: number;
  gone?: boolean;
}

const readyTrue = (
  o: KubeObject & { status?: { conditions?: { type: string; status: string }[] } },
) => o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

export class Milestones {
  private readonly clock: Clock;
  private readonly seen = new Map<string, Seen>();
  /** When each Volume was first seen Available (Ready), by name. */
  private readonly volumeReady = new Map<string, number>();
  /** When each attachment first had its target on the host, by `instance/volume`. */
  private readonly attachedAt = new Map<string, number>();
  private readonly informers: Informer<KubeObject>[];

  constructor(opts: { api: ApiClient; namespace: string; clock: Clock; log: Logger }) {
    this.clock = opts.clock;
    const informer = <T extends KubeObject>(
      ref: typeof Instance | typeof Volume | typeof VolumeAttachment,
    ) =>
      new Informer<T>({
        name: `bench-${ref.plural}`,
        client: new ObjectClient<T>(opts.api, { ...ref.resource, kind: ref.kind }),
        namespace: opts.namespace,
        clock: opts.clock,
        log: opts.log,
      });
    const instances = informer<InstanceObject>(Instance);
    const volumes = informer<VolumeObject>(Volume);
    const attachments = informer<VolumeAttachmentObject>(VolumeAttachment);
    const onInstance = (i: InstanceObject) => {
      const s = this.seen.get(i.metadata.name ?? '');
      if (!s) return;
      const now = this.clock.now();
      const st = i.status;
      if (st?.host !== undefined) s.scheduled ??= now;
      if (st?.bootVolume !== undefined) s.bootVolume ??= st.bootVolume;
      const ip = st?.interfaces?.[0]?.ipAddresses?.[0];
      s.mac ??= st?.interfaces?.[0]?.macAddress;
      if (ip !== undefined && s.ip === undefined) {
        s.ip = ip;
        s.addressKnown = now;
      }
      // Written by the agent the moment QEMU runs the guest, in milliseconds.
      if (st?.bootTime !== undefined) s.qemuRunning ??= Date.parse(st.bootTime);
    };
    instances.addHandler({
      onAdd: onInstance,
      onUpdate: (_old, i) => {
        onInstance(i);
      },
      onDelete: (i) => {
        const s = this.seen.get(i.metadata.name ?? '');
        if (s) s.gone = true;
      },
    });
    const onVolume = (v: VolumeObject) => {
      if (readyTrue(v) && !this.volumeReady.has(v.metadata.name ?? '')) {
        this.volumeReady.set(v.metadata.name ?? '', this.clock.now());
      }
    };
    volumes.addHandler({
      onAdd: onVolume,
      onUpdate: (_o, v) => {
        onVolume(v);
      },
    });
    const onAttachment = (a: VolumeAttachmentObject) => {
      const key = `${a.spec.instanceRef.name}/${a.spec.volumeRef.name}`;
      if (a.status?.target !== undefined && !this.attachedAt.has(key)) {
        this.attachedAt.set(key, this.clock.now());
      }
    };
    attachments.addHandler({
      onAdd: onAttachment,
      onUpdate: (_o, a) => {
        onAttachment(a);
      },
    });
    this.informers = [instances, volumes, attachments] as unknown as Informer<KubeObject>[];
  }

  /** Runs the informers until `signal`; resolves once all have listed. */
  async start(signal: AbortSignal): Promise<void> {
    for (const i of this.informers) void i.run(signal);
    for (const i of this.informers) await i.waitForSync(signal);
  }

  /** Counts `name`'s steps from `applied` (call it before the apply request). */
  applied(name: string, applied: number): void {
    this.seen.set(name, { applied });
  }

  /** The instance's first address, once the manager has made its NetworkInterface. */
  async address(name: string, timeoutMs: number): Promise<string> {
    await until(() => this.seen.get(name)?.ip !== undefined, {
      clock: this.clock,
      timeoutMs,
      what: `instance ${name} to have an address`,
    });
    return this.seen.get(name)?.ip ?? '';
  }

  /** The MAC of the instance's primary interface; empty when not seen. */
  mac(name: string): string {
    return this.seen.get(name)?.mac ?? '';
  }

  async gone(name: string, timeoutMs: number): Promise<void> {
    await until(() => this.seen.get(name)?.gone === true, {
      clock: this.clock,
      timeoutMs,
      what: `instance ${name} to be gone`,
      intervalMs: 200,
    });
  }

  steps(name: string): InstanceSteps {
    const s = this.seen.get(name);
    if (!s) return {};
    const since = (t: number | undefined) => (t === undefined ? undefined : t - s.applied);
    const vol = s.bootVolume;
    return {
      scheduled: since(s.scheduled),
      volumeAvailable: since(vol === undefined ? undefined : this.volumeReady.get(vol)),
      attached: since(vol === undefined ? undefined : this.attachedAt.get(`${name}/${vol}`)),
      addressKnown: since(s.addressKnown),
      qemuRunning: since(s.qemuRunning),
    };
  }
}
