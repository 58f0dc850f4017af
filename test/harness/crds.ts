import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { KubeConfig, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { parseYaml, serverSideApply } from './apply.ts';
import { waitFor } from './wait.ts';

interface CrdStatus {
  status?: { conditions?: { type: string; status: string }[] };
}

/** Applies every CRD in a folder and waits until the API server serves each of them. */
export async function applyCrdsFromDir(kubeconfigPath: string, dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  const files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  const docs: KubernetesObject[] = [];
  for (const f of files) docs.push(...parseYaml(await readFile(path.join(dir, f), 'utf8')));
  if (docs.length === 0) return;
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  await applyCrds(KubernetesObjectApi.makeApiClient(kc), docs);
}

export async function applyCrds(api: KubernetesObjectApi, crds: KubernetesObject[]): Promise<void> {
  for (const crd of crds) await serverSideApply(api, crd, 'kcloud-test');
  for (const crd of crds) {
    const name = crd.metadata?.name ?? '';
    await waitFor(
      async () => {
        const got = await api.read<KubernetesObject & CrdStatus>({
          apiVersion: 'apiextensions.k8s.io/v1',
          kind: 'CustomResourceDefinition',
          metadata: { name },
        });
        return got.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')
          ? got
          : undefined;
      },
      { timeoutMs: 30_000, what: `CRD ${name} Established` },
    );
  }
}
