import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import {
  devLayout,
  kubectl,
  kubectlOk,
  repoRoot,
  serverVersion,
  up,
  type RunLayout,
} from '../cluster/index.ts';

/** Every product's sample manifests: operators/<product>/samples/*.yaml, in name order. */
export async function sampleFiles(): Promise<string[]> {
  const operators = path.join(repoRoot, 'operators');
  const files: string[] = [];
  for (const product of (await readdir(operators)).sort()) {
    const dir = path.join(operators, product, 'samples');
    if (!existsSync(dir)) continue;
    for (const f of (await readdir(dir)).sort()) {
      if (/\.ya?ml$/.test(f)) files.push(path.join(dir, f));
    }
  }
  return files;
}

/** The generated CRDs, applied before anything that uses them. */
export async function crdFiles(): Promise<string[]> {
  const dir = path.join(repoRoot, 'crds');
  if (!existsSync(dir)) return [];
  return (await readdir(dir))
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

export async function applyFiles(kubeconfig: string, files: string[]): Promise<string> {
  let out = '';
  for (const f of files) {
    out += await kubectlOk(kubeconfig, [
      'apply',
      '--server-side',
      '--field-manager=kcloud-demo',
      // The demo owns these objects: take over fields an earlier client-side `kubectl apply`
      // (or an older kcloud) set, rather than stop at the conflict.
      '--force-conflicts',
      '-f',
      f,
    ]);
  }
  return out;
}

export async function waitCrdsEstablished(kubeconfig: string, files: string[]): Promise<void> {
  for (const f of files) {
    await kubectlOk(kubeconfig, ['wait', '--for=condition=Established', '--timeout=60s', '-f', f]);
  }
}

/** Waits until every object in the sample files reports Ready=True. */
export async function waitReady(
  kubeconfig: string,
  files: string[],
  timeout = '180s',
): Promise<void> {
  for (const f of files) {
    const r = await kubectl(kubeconfig, [
      'wait',
      '--for=condition=Ready',
      `--timeout=${timeout}`,
      '-f',
      f,
    ]);
    if (r.code !== 0) {
      const describe = await kubectl(kubeconfig, ['describe', '-f', f]);
      throw new Error(`samples in ${f} did not become Ready:\n${r.stderr}\n${describe.stdout}`);
    }
  }
}

/** Starts (or finds) the development control plane and says where it is; returns its layout. */
export async function startDevControlPlane(log: (line: string) => void): Promise<RunLayout> {
  const layout = devLayout();
  log('== local control plane');
  const info = await up(layout, {}, log);
  log(`kube-apiserver ${(await serverVersion(layout)).gitVersion} at ${info.server}`);
  return layout;
}
