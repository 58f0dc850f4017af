// kcloud-manager with the vpc operator, run as its own process (as in a pod), so its memory is
// its own and the benchmark's informers and clients are not counted in it.
import path from 'node:path';
import type { Clock } from '../../controllers/clock/index.ts';
import { repoRoot } from '../../hack/cluster/index.ts';
import { DaemonProcess } from '../lib/daemon-process.ts';

export interface ManagerProcessOptions {
  kubeconfigPath: string;
  namespace: string;
  nbEndpoint: string;
  logFile: string;
  clock: Clock;
  /** `--status-batch-period` for the manager; its default when not given. */
  statusBatchPeriod?: string;
}

export type ManagerProcess = DaemonProcess;

/** Starts the manager on `namespace` and waits until /readyz answers 200. */
export function startManagerProcess(opts: ManagerProcessOptions): Promise<ManagerProcess> {
  return DaemonProcess.start({
    what: 'the manager',
    script: path.join(repoRoot, 'operators', 'manager', 'main.ts'),
    args: [
      `--kubeconfig=${opts.kubeconfigPath}`,
      '--operators=vpc',
      `--namespace=${opts.namespace}`,
      '--leader-elect=false',
      `--ovn-nb=${opts.nbEndpoint}`,
      '--identity=kcloud-bench-vpc',
      '--log-level=warn',
      ...(opts.statusBatchPeriod ? [`--status-batch-period=${opts.statusBatchPeriod}`] : []),
    ],
    logFile: opts.logFile,
    clock: opts.clock,
    pollMs: 50,
  });
}
