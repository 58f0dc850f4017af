#!/usr/bin/env node
// node hack/gitops/argocd-cm.ts — prints a merge patch for Argo CD's argocd-cm ConfigMap that
// gives every kcloud kind the resource health check in charts/kcloud/files/argocd-health.lua,
// one `resource.customizations.health.<group>_<kind>` key per kind (docs/gitops.md):
//
//   kubectl -n argocd patch configmap argocd-cm --type merge --patch "$(node hack/gitops/argocd-cm.ts)"
import { runCli } from '../cluster/index.ts';
import { productKinds } from '../../operators/kinds.ts';
import { argocdHealthPatch, readArgocdHealthScript } from './argocd-health.ts';

async function main(argv: string[]): Promise<number> {
  if (argv.length > 0) {
    console.error('usage: node hack/gitops/argocd-cm.ts');
    return 2;
  }
  process.stdout.write(argocdHealthPatch(productKinds, await readArgocdHealthScript()));
  return 0;
}

runCli(main);
