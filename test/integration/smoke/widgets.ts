import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyCrds, readYamlFile, type TestCluster } from '../../harness/index.ts';

export const widgetApi = { apiVersion: 'smoke.test.kcloud.io/v1alpha1', kind: 'Widget' } as const;
export const widgetGroup = 'smoke.test.kcloud.io';
export const widgetVersion = 'v1alpha1';

export interface Widget {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    generation?: number;
    uid?: string;
  };
  spec: { size: number; zone: string; minReplicas?: number; maxReplicas?: number };
  status?: { phase?: string; observedGeneration?: number };
}

/** Installs the test-only Widget CRD and waits until it is served. */
export async function installWidgetCrd(cluster: TestCluster): Promise<void> {
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), 'widgets.crd.yaml');
  await applyCrds(cluster.kubeconfigPath, await readYamlFile(file));
}

export function widget(
  name: string,
  namespace: string,
  spec: Partial<Widget['spec']> = {},
): Widget {
  return {
    ...widgetApi,
    metadata: { name, namespace },
    spec: { size: 3, zone: 'zone-a', ...spec },
  };
}
