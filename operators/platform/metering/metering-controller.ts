// Metering in kcloud-manager: a finalizer on every metered object, so that its deletion time is
// known even when metering was down and its last records are written before it goes (the API
// server puts it on at create, admission-policy.ts; this puts it on objects created without
// it, before the policy existed); and a period walk that closes each period once it ended,
// catching up after a restart.
import { realClock, type Clock } from '../../../controllers/clock/index.ts';
import type { Informer } from '../../../controllers/informer/index.ts';
import type { KubeObject, ResourceRef } from '../../../controllers/kube/index.ts';
import { errorMessage } from '../../../controllers/kube/index.ts';
import type { Manager } from '../../../controllers/manager/index.ts';
import {
  addFinalizer,
  Controller,
  hasFinalizer,
  removeFinalizer,
} from '../../../controllers/reconcile/index.ts';
import { Flavor, type FlavorObject } from '../../ecs/api/index.ts';
import { VolumeType, type VolumeTypeObject } from '../../evs/api/index.ts';
import { tenantLabel } from '../api/index.ts';
import { CdrFiles } from './cdr-files.ts';
import { meteredKinds, type MeteredKind, type MeteringLookups } from './dimensions.ts';
import { Meter } from './meter.ts';
import { meteringMetrics } from './metrics.ts';
import { namespaceResource } from '../namespace-resource.ts';

export const meteringFinalizer = 'platform.kcloud.io/metering';

export interface MeteringOptions {
  /** Where the CDR files go. */
  dir: string;
  periodMs: number;
  clock?: Clock;
}

/** A period closes this long after its end (a tenth of the period, at most 5 s). */
export const settleMs = (periodMs: number) => Math.min(5_000, Math.floor(periodMs / 10));

const ref = (k: { resource: ResourceRef; kind: string }) => ({ ...k.resource, kind: k.kind });

/** The controller of one metered kind: the finalizer on, and off once the records are out. */
function addFinalizerController(mgr: Manager, kind: MeteredKind, meter: Meter, clock: Clock) {
  const informer: Informer<KubeObject> = mgr.informer(kind.resource);
  const client = mgr.client(kind.resource);
  mgr.add(
    new Controller({
      name: `metering-${kind.resource.plural}`,
      informer,
      reconcile: async (req, ctx) => {
        const obj = informer.cache.get(req.key);
        if (!obj) return undefined;
        if (!obj.metadata.deletionTimestamp) {
          await addFinalizer(client, obj, meteringFinalizer, ctx.signal);
        } else if (hasFinalizer(obj, meteringFinalizer)) {
          await meter.meterDeleted(kind, obj);
          await removeFinalizer(client, obj, meteringFinalizer, ctx.signal);
        }
        return undefined;
      },
      // Nothing outside the object to drift: its own events are all it needs.
      resyncPeriodMs: 0,
      registry: mgr.registry,
      clock,
      log: mgr.log,
    }),
  );
}

/** Registers metering: a finalizer controller per metered kind and the period walk. */
export function addMetering(mgr: Manager, opts: MeteringOptions): Meter {
  const clock = opts.clock ?? realClock;
  const flavors = mgr.informer<FlavorObject>(ref(Flavor));
  const volumeTypes = mgr.informer<VolumeTypeObject>(ref(VolumeType));
  const namespaces = mgr.informer<KubeObject>(namespaceResource);
  const lookups: MeteringLookups = {
    flavor: (name) => flavors.cache.get(name),
    volumeTypes: () => volumeTypes.cache.list(),
  };
  const metrics = meteringMetrics(mgr.registry);
  const meter = new Meter({
    files: new CdrFiles(opts.dir),
    periodMs: opts.periodMs,
    settleMs: settleMs(opts.periodMs),
    clock,
    lookups,
    tenantOf: (ns) => namespaces.cache.get(ns)?.metadata.labels?.[tenantLabel] ?? '',
    listObjects: async () => {
      const lists = await Promise.all(
        meteredKinds.map(async (kind) =>
          (await mgr.client(kind.resource).listAll({ namespace: mgr.namespace })).map((obj) => ({
            kind,
            obj,
          })),
        ),
      );
      return lists.flat();
    },
    onWritten: (records) => {
      metrics.recordsWritten(records);
    },
    onClosed: (period) => {
      metrics.periodClosed(period);
    },
  });
  for (const kind of meteredKinds) addFinalizerController(mgr, kind, meter, clock);
  const log = mgr.log.child({ runnable: 'metering-periods' });
  mgr.addRunnable({
    name: 'metering-periods',
    run: async (signal) => {
      for (;;) {
        let wait: number;
        try {
          const closed = await meter.closeEnded();
          if (closed.length > 0) log.info('metering periods closed', { periods: closed.length });
          wait = meter.nextCloseAt() - clock.now();
        } catch (err) {
          // Tried again soon: the period stays open, and nothing written is written twice.
          log.error('closing metering periods failed', { error: errorMessage(err) });
          wait = Math.min(opts.periodMs, 10_000);
        }
        await clock.sleep(Math.max(0, wait), signal);
      }
    },
  });
  return meter;
}
