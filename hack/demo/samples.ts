import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  currentReadiness,
  devLayout,
  kubectl,
  kubectlOk,
  repoRoot,
  serverVersion,
  up,
  type ObjectWithStatus,
  type RunLayout,
} from '../cluster/index.ts';
import type { LeaderLease } from './flags.ts';

/**
 * Every product's sample manifests: operators/<product>/samples/*.yaml, in name order, but for
 * the products in `exclude`.
 */
export async function sampleFiles(exclude: readonly string[] = []): Promise<string[]> {
  const operators = path.join(repoRoot, 'operators');
  const files: string[] = [];
  for (const product of (await readdir(operators)).sort()) {
    if (exclude.includes(product)) continue;
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

/** What of the objects is not Ready for its current generation, one line each. */
export function notReady(list: { items?: ObjectWithStatus[] }): string[] {
  return (list.items ?? [])
    .map((o) => currentReadiness(o))
    .filter((r) => !r.ready)
    .map((r) => r.summary);
}

/**
 * Waits until every object in the files is Ready for its current generation. Ready=True
 * alone is not enough: a changed object keeps the Ready its previous generation earned until
 * a manager reconciles the change.
 */
export async function waitReady(
  kubeconfig: string,
  files: string[],
  timeoutMs = 180_000,
): Promise<void> {
  if (files.length === 0) return;
  const args = ['get', ...files.flatMap((f) => ['-f', f]), '-o', 'json'];
  const deadline = Date.now() + timeoutMs;
  let waiting: string[];
  for (;;) {
    const r = await kubectl(kubeconfig, args);
    if (r.code === 0) {
      // One object comes back as itself, several as a List.
      const got = JSON.parse(r.stdout) as ObjectWithStatus & { items?: ObjectWithStatus[] };
      waiting = notReady(Array.isArray(got.items) ? got : { items: [got] });
    } else waiting = [r.stderr.trim()];
    if (waiting.length === 0) return;
    if (Date.now() > deadline) break;
    await sleep(500);
  }
  throw new Error(
    `the samples did not become Ready for their current generation within ${String(timeoutMs / 1000)} s:\n  ${waiting.join('\n  ')}`,
  );
}

/** Waits until the manager the demo started holds its leader Lease. */
export async function waitLeader(
  kubeconfig: string,
  lease: LeaderLease,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let holder: string;
  for (;;) {
    const r = await kubectl(kubeconfig, [
      'get',
      'lease',
      lease.name,
      '-n',
      lease.namespace,
      '-o',
      'jsonpath={.spec.holderIdentity}',
    ]);
    holder = r.code === 0 ? r.stdout.trim() : r.stderr.trim();
    if (r.code === 0 && holder === lease.identity) return;
    if (Date.now() > deadline) break;
    await sleep(500);
  }
  throw new Error(
    `the manager (identity ${lease.identity}) did not take the Lease ${lease.namespace}/${lease.name} within ${String(timeoutMs / 1000)} s; it is held by ${JSON.stringify(holder)} (another manager on this cluster?)`,
  );
}

/** Starts (or finds) the development control plane and says where it is; returns its layout. */
export async function startDevControlPlane(
  log: (line: string) => void,
  layout: RunLayout = devLayout(),
): Promise<RunLayout> {
  log('== local control plane');
  const info = await up(layout, {}, log);
  log(`kube-apiserver ${(await serverVersion(layout)).gitVersion} at ${info.server}`);
  return layout;
}
