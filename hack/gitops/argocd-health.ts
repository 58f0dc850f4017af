import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { repoRoot } from '../cluster/index.ts';

/** The Argo CD health check shipped with the chart, where users take it from. */
export const argocdHealthScriptPath = path.join(
  repoRoot,
  'charts',
  'kcloud',
  'files',
  'argocd-health.lua',
);

export function readArgocdHealthScript(): Promise<string> {
  return readFile(argocdHealthScriptPath, 'utf8');
}

/** The argocd-cm key Argo CD reads a kind's Lua health check from. */
export function argocdHealthKey(kind: { group: string; kind: string }): string {
  return `resource.customizations.health.${kind.group}_${kind.kind}`;
}

/**
 * A merge patch for argocd-cm with one health key per kind. Per-kind keys rather than one
 * `resource.customizations` entry with a wildcard: a merge patch then adds kcloud's keys beside
 * whatever else the ConfigMap holds instead of replacing that whole block.
 */
export function argocdHealthPatch(
  kinds: readonly { group: string; kind: string }[],
  script: string,
): string {
  const data = Object.fromEntries(kinds.map((k) => [argocdHealthKey(k), script]));
  return stringify({ data }, { lineWidth: 0 });
}
