import { existsSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';

/**
 * The cluster to talk to: an explicit path, else $KUBECONFIG, else the pod's service account
 * when running inside a cluster. Never a silent default that could point at the wrong cluster.
 */
export function loadKubeConfig(path?: string): KubeConfig {
  const kc = new KubeConfig();
  const file = path ?? process.env.KUBECONFIG;
  if (file) {
    if (!existsSync(file)) throw new Error(`kubeconfig ${file} does not exist`);
    kc.loadFromFile(file);
  } else if (process.env.KUBERNETES_SERVICE_HOST) {
    kc.loadFromCluster();
  } else {
    throw new Error('no cluster configured: pass --kubeconfig or set KUBECONFIG');
  }
  return kc;
}
