// Cluster-scoped objects a benchmark needs before its own: its CRDs, served, and its namespace.
import type { Clock } from '../../controllers/clock/index.ts';
import {
  isAlreadyExists,
  namespaceResource,
  ObjectClient,
  type ApiClient,
  type KubeObject,
  type ResourceRef,
} from '../../controllers/kube/index.ts';
import { until } from './until.ts';

const crdResource: ResourceRef = {
  group: 'apiextensions.k8s.io',
  version: 'v1',
  plural: 'customresourcedefinitions',
  namespaced: false,
  kind: 'CustomResourceDefinition',
};

interface Crd extends KubeObject {
  status?: { conditions?: { type: string; status: string }[] };
}

/** A kind defined with defineKind: its CRD and the resource it serves. */
export interface BenchKind {
  kind: string;
  resource: Omit<ResourceRef, 'kind'>;
  crd(): KubeObject & { metadata: { name: string } };
}

/** Applies the kinds' CRDs (straight from their definitions) and waits until each is served. */
export async function installCrds(
  api: ApiClient,
  clock: Clock,
  kinds: readonly BenchKind[],
): Promise<void> {
  const crds = new ObjectClient<Crd>(api, crdResource);
  for (const kind of kinds) {
    const crd = kind.crd();
    await crds.patch(undefined, crd.metadata.name, 'apply', crd, {
      fieldManager: 'kcloud-bench',
      force: true,
    });
  }
  for (const kind of kinds) {
    const name = kind.crd().metadata.name;
    await until(
      async () => {
        const got = await crds.get(undefined, name);
        return got.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
      },
      { clock, timeoutMs: 30_000, what: `CRD ${name} Established` },
    );
    // Established can precede the first request the new resource serves by a moment.
    const objects = new ObjectClient<KubeObject>(api, { ...kind.resource, kind: kind.kind });
    await until(
      async () => {
        try {
          await objects.list({ limit: 1 });
          return true;
        } catch {
          return false;
        }
      },
      { clock, timeoutMs: 30_000, what: `${kind.resource.plural} served` },
    );
  }
}

export async function createNamespace(api: ApiClient, name: string): Promise<void> {
  try {
    await new ObjectClient<KubeObject>(api, namespaceResource).create({ metadata: { name } });
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
}
