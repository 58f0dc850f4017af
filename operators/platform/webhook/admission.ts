// Quota admission, as Kubernetes' ResourceQuota admission does it: for each Quota on the path
// from the object's project to the root tenant, nearest first, read the usage record, refuse
// when the change would cross a limit, else write the record back with the change reserved,
// carrying the resourceVersion read (a conflict means another admission or the controller
// wrote meanwhile: read again and retry). A refusal undoes the reservations already made.
import {
  isConflict,
  isNotFound,
  type KubeObject,
  type ObjectClient,
} from '../../../controllers/kube/index.ts';
import type { QuotaObject } from '../api/index.ts';
import type { PlatformCaches } from '../caches.ts';
import {
  countedKey,
  countedKindOf,
  UncountableError,
  usageOf,
  type CountedKind,
} from '../quota/counted.ts';
import {
  countedAs,
  describeViolation,
  growth,
  reserve,
  violation,
  type Ledger,
} from '../quota/ledger.ts';
import { placementOf, placementViolation, samePlacement } from '../quota/placement.ts';
import { quotasOnPath, scopeName } from '../quota/scopes.ts';
import { fromResourceList, toResourceList, type Usage } from '../quota/usage.ts';

/** The parts of an admission.k8s.io/v1 AdmissionRequest this webhook reads. */
export interface AdmissionRequest {
  uid: string;
  kind: { group: string; version: string; kind: string };
  operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  namespace?: string;
  name?: string;
  object?: KubeObject | null;
  oldObject?: KubeObject | null;
  dryRun?: boolean;
}

export type AdmissionDecision = { allowed: true } | { allowed: false; message: string };

const maxAttempts = 100;

type Reservation = { allowed: true; previous: Usage } | { allowed: false; message: string };

/** A request waiting to be decided on one Quota's record. */
interface Ask {
  scope: string;
  key: string;
  before: Usage;
  after: Usage;
  dryRun: boolean;
  undo: boolean;
  resolve: (r: Reservation) => void;
  reject: (err: unknown) => void;
}

export class QuotaAdmission {
  private readonly caches: PlatformCaches;
  private readonly quotas: ObjectClient<QuotaObject>;
  private readonly namespaces: ObjectClient<KubeObject>;
  private readonly now: () => Date;
  // Requests waiting for the next write of each Quota's record (drain): one write at a time
  // per Quota in this process, so requests of one replica batch instead of conflicting.
  private readonly waiting = new Map<string, Ask[]>();

  constructor(opts: {
    caches: PlatformCaches;
    quotas: ObjectClient<QuotaObject>;
    namespaces: ObjectClient<KubeObject>;
    now?: () => Date;
  }) {
    this.caches = opts.caches;
    this.quotas = opts.quotas;
    this.namespaces = opts.namespaces;
    this.now = opts.now ?? (() => new Date());
  }

  /** The namespace from the cache, else from the API server (one made a moment ago). */
  private async namespace(name: string): Promise<KubeObject | undefined> {
    const cached = this.caches.namespace(name);
    if (cached) return cached;
    try {
      return await this.namespaces.get(undefined, name);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async admit(req: AdmissionRequest): Promise<AdmissionDecision> {
    const kind = countedKindOf(req.kind.group, req.kind.kind);
    const namespace = req.namespace ?? '';
    if (!kind || !namespace) return { allowed: true };
    const ns = await this.namespace(namespace);
    const quotas = quotasOnPath(
      ns && { name: namespace, ...(ns.metadata.labels ? { labels: ns.metadata.labels } : {}) },
      this.caches.tree(),
      this.caches.quotas.cache.list(),
    );
    if (!quotas || quotas.length === 0) return { allowed: true };
    const name = req.name ?? req.object?.metadata.name ?? req.oldObject?.metadata.name ?? '';
    const key = countedKey(kind, namespace, name);

    const refused = this.placementRefusal(kind, req, quotas);
    if (refused) return { allowed: false, message: refused };

    const before = req.operation === 'CREATE' ? {} : this.count(kind, req.oldObject ?? undefined);
    let after: Usage;
    try {
      after =
        req.operation === 'DELETE'
          ? {}
          : usageOf(kind, req.object ?? undefined, this.caches.lookups);
    } catch (err) {
      if (!(err instanceof UncountableError)) throw err;
      const limited = quotas.find(
        (q) => q.spec.hard.vcpu !== undefined || q.spec.hard.memory !== undefined,
      );
      if (limited)
        return {
          allowed: false,
          message: `${err.message}, and ${scopeName(limited)} has a quota on them`,
        };
      after = { instances: 1 };
    }
    if (req.operation === 'UPDATE' && Object.keys(growth(before, after)).length === 0) {
      // Nothing grows: the controller's recount takes in a shrink.
      return { allowed: true };
    }

    const done: { quota: string; previous: Usage }[] = [];
    for (const q of quotas) {
      const outcome = await this.reserveOn(
        q.metadata.name ?? '',
        scopeName(q),
        key,
        before,
        after,
        req.dryRun === true,
      );
      if (outcome.allowed) {
        done.push({ quota: q.metadata.name ?? '', previous: outcome.previous });
        continue;
      }
      for (const d of done.reverse()) {
        await this.reserveOn(d.quota, '', key, after, d.previous, false, true).catch(
          () => undefined,
        );
      }
      return { allowed: false, message: outcome.message };
    }
    return { allowed: true };
  }

  /**
   * Where a create goes, or where an update moves the object, checked against every quota on
   * the path. An update that leaves it where it is passes: a list narrowed later binds what is
   * made next, not what is there.
   */
  private placementRefusal(
    kind: CountedKind,
    req: AdmissionRequest,
    quotas: readonly QuotaObject[],
  ): string | undefined {
    if (req.operation !== 'CREATE' && req.operation !== 'UPDATE') return undefined;
    if (!req.object || req.object.metadata.deletionTimestamp) return undefined;
    const placement = placementOf(kind, req.object, this.caches.lookups);
    if (
      req.operation === 'UPDATE' &&
      req.oldObject &&
      samePlacement(placement, placementOf(kind, req.oldObject, this.caches.lookups))
    ) {
      return undefined;
    }
    return placementViolation(quotas, placement);
  }

  private count(kind: CountedKind, obj: KubeObject | undefined): Usage {
    try {
      return usageOf(kind, obj, this.caches.lookups);
    } catch (err) {
      if (err instanceof UncountableError) return { instances: 1 };
      throw err;
    }
  }

  /** Reserves `before → after` of `key` on one Quota's record; `undo` never refuses. */
  private reserveOn(
    quotaName: string,
    scope: string,
    key: string,
    before: Usage,
    after: Usage,
    dryRun: boolean,
    undo = false,
  ): Promise<Reservation> {
    return new Promise((resolve, reject) => {
      const ask: Ask = { scope, key, before, after, dryRun, undo, resolve, reject };
      const queued = this.waiting.get(quotaName);
      // A batch of this Quota is being written: this request goes into the next one.
      if (queued) {
        queued.push(ask);
        return;
      }
      this.waiting.set(quotaName, [ask]);
      void this.drain(quotaName);
    });
  }

  /**
   * Writes the requests waiting on one Quota in batches, one batch at a time: each batch is
   * everything that arrived while the one before was being written, decided in arrival order
   * against one read of the record and written back in one update (as Kubernetes' ResourceQuota
   * admission batches its evaluations). One write per batch instead of one per request is what
   * lets a tenant's creates keep up with a burst.
   */
  private async drain(quotaName: string): Promise<void> {
    for (;;) {
      const batch = this.waiting.get(quotaName) ?? [];
      if (batch.length === 0) {
        this.waiting.delete(quotaName);
        return;
      }
      this.waiting.set(quotaName, []);
      try {
        const decided = await this.decideBatch(quotaName, batch);
        batch.forEach((ask, i) => {
          ask.resolve(decided[i] ?? { allowed: false, message: 'not decided' });
        });
      } catch (err) {
        for (const ask of batch) ask.reject(err);
      }
    }
  }

  private async decideBatch(quotaName: string, batch: readonly Ask[]): Promise<Reservation[]> {
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const live = await this.quotas.get(undefined, quotaName);
      const hard = fromResourceList(live.spec.hard);
      let ledger: Ledger = {
        used: fromResourceList(live.status?.used),
        reservations: live.status?.reservations ?? [],
      };
      const decided: Reservation[] = [];
      let writes = 0;
      const decide = (ask: Ask): Reservation => {
        if (!live.status?.used && !ask.undo) {
          return {
            allowed: false,
            message: `the usage of ${ask.scope} (Quota ${quotaName}) is not counted yet; try again in a moment`,
          };
        }
        const counted = countedAs(ledger, ask.key, ask.before);
        if (!ask.undo) {
          const v = violation(hard, ledger.used, counted, ask.after);
          if (v)
            return {
              allowed: false,
              message: `${describeViolation(ask.scope, v)} (Quota ${quotaName})`,
            };
        }
        if (ask.dryRun) return { allowed: true, previous: counted };
        ledger = reserve(ledger, ask.key, counted, ask.after, this.now());
        writes++;
        return { allowed: true, previous: counted };
      };
      for (const ask of batch) decided.push(decide(ask));
      if (writes === 0) return decided;
      try {
        await this.quotas.updateStatus({
          ...live,
          status: {
            ...live.status,
            used: toResourceList(ledger.used),
            reservations: ledger.reservations,
          },
        });
        return decided;
      } catch (err) {
        // Another writer (the controller, another replica) wrote meanwhile: decide again.
        if (!isConflict(err)) throw err;
      }
    }
    throw new Error(
      `the usage record of Quota ${quotaName} kept changing; ${String(maxAttempts)} attempts failed`,
    );
  }
}
