#!/usr/bin/env node
// hack/node.sh up|down|status — one real Kubernetes node (containerd, kubelet, kube-proxy,
// CoreDNS, and the kube-scheduler the control plane lacks) added to the local control plane.
import {
  devLayout,
  processLine,
  runCli,
  status as clusterStatus,
  up as clusterUp,
} from '../cluster/index.ts';
import { devNodeLayout, down, nodeStatus, up } from './index.ts';

const usage = 'usage: node.sh up | down | status';

async function main(argv: string[]): Promise<number> {
  const layout = devNodeLayout();
  const log = (line: string) => {
    console.log(line);
  };
  switch (argv[0]) {
    case 'up': {
      const cluster = devLayout();
      const started = Date.now();
      // The node joins the control plane of `make up`, started here when it is not running.
      if (!(await clusterStatus(cluster)).ready) await clusterUp(cluster, {}, log);
      const info = await up(layout, cluster, log);
      log(
        `node ${info.nodeName} (${info.nodeIp}) ${info.started ? `up in ${((Date.now() - started) / 1000).toFixed(1)} s` : 'already up'}`,
      );
      log(`export KUBECONFIG=${cluster.kubeconfig}`);
      return 0;
    }
    case 'down':
      await down(layout, log);
      return 0;
    case 'status': {
      const s = await nodeStatus(layout);
      if (!s.state) {
        log('not running');
        return 1;
      }
      for (const p of s.state.processes) {
        log(processLine(p, s.alive[p.name] === true));
      }
      log(s.ready ? `node ${s.state.network.nodeName} Ready` : 'not ready');
      return s.ready ? 0 : 1;
    }
    default:
      console.error(usage);
      return 2;
  }
}

runCli(main);
