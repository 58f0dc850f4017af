// The platform controller: one level-triggered sync of the whole tree. Any change of a tenant,
// project, quota, namespace or counted object marks it dirty; a sync recounts every Quota's
// usage record from the stored objects (keeping reservations still on their way), rolls usage
// up the tenants, and makes each Project's namespace. A sync of the whole tree is one pass over
// the caches: changes during a sync coalesce into the next one.
import { isDeepStrictEqual } from 'node:util';
import { isConflict, errorMessage, type KubeObject } from '../../../controllers/kube/index.ts';
import type { Manager, Runnable } from '../../../controllers/manager/index.ts';
import {
  observedGenerationAfter,
  setOutcomeConditions,
  type Outcome,
} from '../../../controllers/reconcile/index.ts';
import { Project, Quota, Tenant } from '../api/index.ts';
import type { PlatformCaches } from '../caches.ts';
import { computePlatformState } from '../quota/platform-state.ts';
import { toResourceList } from '../quota/usage.ts';
import { ensureProjectNamespace } from './project-namespace.ts';

/** After a failed sync, the next one waits this long (doubling up to a minute). */
const retryMs = 500;

const phaseOf = (o: Outcome) =>
  o.state === 'Ready' ? 'Ready' : o.state === 'Stalled' ? 'Failed' : 'Pending';

type WithStatus = KubeObject & { status?: Record<string, unknown> };

/** The status after an outcome: conditions, phase, observedGeneration and the given fields. */
function statusAfter(
  obj: WithStatus,
  outcome: Outcome,
  fields: Record<string, unknown>,
  now: Date,
): Record<string, unknown> {
  const previous = obj.status ?? {};
  const generation = obj.metadata.generation;
  const conditions = setOutcomeConditions(
    previous.conditions as Parameters<typeof setOutcomeConditions>[0],
    outcome,
    generation,
    now,
  );
  const observedGeneration = observedGenerationAfter(
    outcome,
    generation,
    previous.observedGeneration as number | undefined,
  );
  const next: Record<string, unknown> = { ...fields, phase: phaseOf(outcome), conditions };
  if (observedGeneration !== undefined) next.observedGeneration = observedGeneration;
  return Object.fromEntries(Object.entries(next).filter(([, v]) => v !== undefined));
}

export class PlatformController implements Runnable {
  readonly name = 'platform-controller';
  private dirty = true;
  private wake: (() => void) | undefined;
  private readonly mgr: Manager;
  private readonly caches: PlatformCaches;

  constructor(mgr: Manager, caches: PlatformCaches) {
    this.mgr = mgr;
    this.caches = caches;
    const touch = () => {
      this.markDirty();
    };
    for (const informer of caches.all()) {
      informer.addHandler({ onAdd: touch, onUpdate: touch, onDelete: touch });
    }
  }

  markDirty(): void {
    this.dirty = true;
    this.wake?.();
  }

  async run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    signal.addEventListener(
      'abort',
      () => {
        this.wake?.();
      },
      { once: true },
    );
    while (!signal.aborted) {
      if (!this.dirty) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        this.wake = undefined;
        continue;
      }
      this.dirty = false;
      try {
        const nextMs = await this.sync();
        failures = 0;
        clearTimeout(timer);
        // A reservation that may expire: look again then.
        if (nextMs !== undefined)
          timer = setTimeout(() => {
            this.markDirty();
          }, nextMs + 10);
      } catch (err) {
        this.dirty = true;
        if (!isConflict(err)) {
          failures++;
          this.mgr.log.error('platform sync failed', { error: errorMessage(err) });
        }
        await new Promise((r) =>
          setTimeout(r, Math.min(60_000, retryMs * 2 ** Math.min(failures, 7))),
        );
      }
    }
    clearTimeout(timer);
  }

  /** One pass; resolves with when to look again for reservations to expire. */
  async sync(): Promise<number | undefined> {
    const now = new Date();
    const tenants = this.caches.tenants.cache.list();
    const quotas = this.caches.quotas.cache.list();
    const namespaces = this.caches.namespaces.cache.list().map((n) => ({
      name: n.metadata.name ?? '',
      ...(n.metadata.labels ? { labels: n.metadata.labels } : {}),
    }));
    const tree = this.caches.tree();
    const state = computePlatformState({
      tree,
      tenants,
      namespaces,
      quotas,
      objects: this.caches.countedObjects(),
      now,
    });

    let nextMs: number | undefined;
    for (const q of quotas) {
      const s = state.quotas.get(q.metadata.name ?? '');
      if (!s) continue;
      if (s.nextExpiryMs !== undefined) nextMs = Math.min(nextMs ?? Infinity, s.nextExpiryMs);
      await this.writeStatus(Quota.resource, q, s.outcome, now, {
        used: toResourceList(s.used),
        reservations: s.reservations.length > 0 ? s.reservations : undefined,
      });
    }
    for (const t of tenants) {
      const s = state.tenants.get(t.metadata.name ?? '');
      if (!s) continue;
      await this.writeStatus(Tenant.resource, t, s.outcome, now, {
        path: s.path,
        projects: s.projects,
        usage: toResourceList(s.usage),
        limits: toResourceList(s.limits),
      });
    }
    for (const p of this.caches.projects.cache.list()) {
      if (p.metadata.deletionTimestamp) continue;
      const outcome = await ensureProjectNamespace(this.mgr, p, tree, this.caches);
      await this.writeStatus(Project.resource, p, outcome, now, {
        namespace: outcome.state === 'Ready' ? p.metadata.name : undefined,
      });
    }
    return nextMs;
  }

  /** PUT on /status with the cached resourceVersion, only when something changed. */
  private async writeStatus(
    resource: Parameters<Manager['client']>[0],
    obj: WithStatus,
    outcome: Outcome,
    now: Date,
    fields: Record<string, unknown>,
  ): Promise<void> {
    const status = statusAfter(obj, outcome, fields, now);
    if (isDeepStrictEqual(status, obj.status ?? {})) return;
    await this.mgr.client<WithStatus>(resource).updateStatus({ ...obj, status });
  }
}
