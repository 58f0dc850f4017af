// What the controller writes, computed from the objects alone (no API calls): each Quota's
// recounted usage record and outcome, each Tenant's path, projects, usage and limits.
import type { Outcome } from '../../../controllers/reconcile/index.ts';
import {
  tenantLabel,
  type QuotaObject,
  type Reservation,
  type TenantObject,
} from '../api/index.ts';
import { placementOutsideParent } from './placement.ts';
import { exceedsParent, recount, tightest } from './ledger.ts';
import {
  namespacesOf,
  namespacesOfTenant,
  scopeName,
  tenantOf,
  type NamespaceInfo,
} from './scopes.ts';
import type { TenantTree } from './tenant-tree.ts';
import { fromResourceList, sum, type Usage } from './usage.ts';

export interface CountedObject {
  /** group/kind/namespace/name, as reservations name it. */
  key: string;
  namespace: string;
  usage: Usage;
}

export interface QuotaState {
  used: Usage;
  reservations: Reservation[];
  outcome: Outcome;
  nextExpiryMs: number | undefined;
}

export interface TenantState {
  path: string[] | undefined;
  projects: string[];
  usage: Usage;
  limits: Usage;
  outcome: Outcome;
}

export interface PlatformInputs {
  tree: TenantTree;
  tenants: readonly TenantObject[];
  namespaces: readonly NamespaceInfo[];
  quotas: readonly QuotaObject[];
  objects: readonly CountedObject[];
  now: Date;
}

/** A label value's limit: the tenant's name is its projects' label value. */
const maxTenantName = 63;

const ready: Outcome = { state: 'Ready', reason: 'Available', message: 'usage is counted' };

function storedIn(objects: readonly CountedObject[], namespaces: ReadonlySet<string>) {
  return new Map(objects.filter((o) => namespaces.has(o.namespace)).map((o) => [o.key, o.usage]));
}

function quotaOutcomeWithoutParents(q: QuotaObject, inputs: PlatformInputs): Outcome {
  const tenant = q.spec.tenantRef?.name;
  if (tenant !== undefined && !inputs.tree.has(tenant)) {
    return {
      state: 'Reconciling',
      reason: 'TenantNotFound',
      message: `Tenant ${tenant} does not exist yet`,
    };
  }
  const project = q.spec.projectRef?.name;
  if (
    project !== undefined &&
    tenantOf(inputs.namespaces.find((n) => n.name === project)) === undefined
  ) {
    return {
      state: 'Reconciling',
      reason: 'ProjectNotFound',
      message: `namespace ${project} does not exist or has no platform.kcloud.io/tenant label yet`,
    };
  }
  return ready;
}

/** The strict ancestors' quotas of a quota's scope. */
function ancestorQuotas(q: QuotaObject, inputs: PlatformInputs): QuotaObject[] {
  const tenant = q.spec.tenantRef
    ? inputs.tree.pathOf(q.spec.tenantRef.name)
    : inputs.tree.pathOf(
        tenantOf(inputs.namespaces.find((n) => n.name === q.spec.projectRef?.name)) ?? '',
      );
  if (!tenant.ok) return [];
  const above = q.spec.tenantRef ? tenant.path.slice(0, -1) : tenant.path;
  return inputs.quotas.filter((a) => a.spec.tenantRef && above.includes(a.spec.tenantRef.name));
}

export function computePlatformState(inputs: PlatformInputs): {
  quotas: Map<string, QuotaState>;
  tenants: Map<string, TenantState>;
} {
  const quotas = new Map<string, QuotaState>();
  const scopeUsed = new Map<string, Usage>();
  for (const q of inputs.quotas) {
    const namespaces = namespacesOf(q, inputs.tree, inputs.namespaces);
    const stored = storedIn(inputs.objects, namespaces);
    scopeUsed.set(q.metadata.name ?? '', sum(stored.values()));
    const ledger = recount(stored, q.status?.reservations ?? [], inputs.now);
    quotas.set(q.metadata.name ?? '', {
      ...ledger,
      outcome: quotaOutcomeWithoutParents(q, inputs),
    });
  }
  for (const q of inputs.quotas) {
    const state = quotas.get(q.metadata.name ?? '');
    if (!state || state.outcome.state !== 'Ready') continue;
    const ancestors = ancestorQuotas(q, inputs);
    const message = exceedsParent(
      fromResourceList(q.spec.hard),
      scopeUsed.get(q.metadata.name ?? '') ?? {},
      ancestors.map((a) => ({
        scope: scopeName(a),
        hard: fromResourceList(a.spec.hard),
        used: quotas.get(a.metadata.name ?? '')?.used ?? {},
      })),
    );
    const outside = placementOutsideParent(q, ancestors);
    if (message) state.outcome = { state: 'Stalled', reason: 'ExceedsParent', message };
    else if (outside) {
      state.outcome = { state: 'Stalled', reason: 'PlacementOutsideParent', message: outside };
    }
  }

  const tenants = new Map<string, TenantState>();
  for (const t of inputs.tenants) {
    const name = t.metadata.name ?? '';
    const path = inputs.tree.pathOf(name);
    const namespaces = namespacesOfTenant(name, inputs.tree, inputs.namespaces);
    const onPath = path.ok ? path.path : [name];
    tenants.set(name, {
      path: path.ok ? path.path : undefined,
      projects: inputs.namespaces
        .filter((n) => tenantOf(n) === name)
        .map((n) => n.name)
        .sort(),
      usage: sum(storedIn(inputs.objects, namespaces).values()),
      limits: tightest(
        inputs.quotas
          .filter((q) => q.spec.tenantRef && onPath.includes(q.spec.tenantRef.name))
          .map((q) => fromResourceList(q.spec.hard)),
      ),
      outcome:
        name.length > maxTenantName
          ? {
              state: 'Stalled',
              reason: 'NameTooLong',
              message: `a tenant's name is the value of its projects' ${tenantLabel} label: at most ${String(maxTenantName)} characters; create the tenant again with a shorter name`,
            }
          : path.ok
            ? { state: 'Ready', reason: 'Available', message: 'usage is rolled up' }
            : { state: 'Stalled', reason: path.reason, message: path.message },
    });
  }
  return { quotas, tenants };
}
