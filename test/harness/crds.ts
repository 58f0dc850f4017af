import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { ApiClient, ObjectClient, type KubeObject } from '../../controllers/kube/index.ts';
import { waitFor } from './wait.ts';

interface Crd extends KubeObject {
  status?: { conditions?: { type: string; status: string }[] };
}

const crdResource = {
  group: 'apiextensions.k8s.io',
  version: 'v1',
  plural: 'customresourcedefinitions',
  namespaced: false,
  kind: 'CustomResourceDefinition',
};

/** The documents of a YAML file as plain JSON, exactly as the API server will read them. */
export async function readYamlFile(file: string): Promise<KubeObject[]> {
  return parseAllDocuments(await readFile(file, 'utf8'))
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
}

/**
 * Applies CRDs (plain JSON, as in YAML files or a kind's `crd()`) with server-side apply and
 * waits until the API server serves each. Sent as they are: a typed client would drop fields
 * its models spell differently, such as `x-kubernetes-validations` and `default`.
 */
export async function applyCrds(kubeconfigPath: string, crds: object[]): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const api = new ApiClient(kc);
  const client = new ObjectClient<Crd>(api, crdResource);
  try {
    for (const crd of crds as Crd[]) {
      await client.patch(undefined, crd.metadata.name ?? '', 'apply', crd, {
        fieldManager: 'kcloud-test',
        force: true,
      });
    }
    for (const crd of crds as Crd[]) {
      const name = crd.metadata.name ?? '';
      await waitFor(
        async () => {
          const got = await client.get(undefined, name);
          return got.status?.conditions?.some(
            (c) => c.type === 'Established' && c.status === 'True',
          );
        },
        { timeoutMs: 30_000, what: `CRD ${name} Established` },
      );
    }
  } finally {
    await api.close();
  }
}

/** Applies every CRD in a folder (nothing when the folder does not exist). */
export async function applyCrdsFromDir(kubeconfigPath: string, dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  const files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  const docs: KubeObject[] = [];
  for (const f of files) docs.push(...(await readYamlFile(path.join(dir, f))));
  if (docs.length > 0) await applyCrds(kubeconfigPath, docs);
}
