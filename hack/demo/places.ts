// Where the demo keeps what it runs: the control plane, OVN, the manager's and the agent's
// records and logs, the demo host's files and the agent's state (its VMs' run directories).
// `make demo` uses the project's .local; a test runs the same demo under a folder of its own.
import path from 'node:path';
import { devLayout, repoRoot, runLayout, type RunLayout } from '../cluster/index.ts';
import { devOvnLayout, ovnLayout, type OvnLayout } from '../ovn/index.ts';

export interface DemoPlaces {
  cluster: RunLayout;
  ovn: OvnLayout;
  /** The manager's and the agent's PIDs (state.json), logs and the agent's kubeconfig. */
  dir: string;
  /** The demo host's filesystem as its agent sees it (--host-root). */
  hostRoot: string;
  /** The agent's --state-dir: its probe's answer, and its VMs under ecs/vms/<uid>/. */
  agentStateDir: string;
}

export function devPlaces(): DemoPlaces {
  const local = path.join(repoRoot, '.local');
  return {
    cluster: devLayout(),
    ovn: devOvnLayout(),
    dir: path.join(local, 'demo'),
    hostRoot: path.join(local, 'demo', 'host-root'),
    agentStateDir: path.join(local, 'agent'),
  };
}

/** Everything under `root`, for a demo that must not touch the developer's. */
export function placesUnder(root: string): DemoPlaces {
  return {
    cluster: runLayout(path.join(root, 'cluster')),
    ovn: ovnLayout(path.join(root, 'ovn')),
    dir: path.join(root, 'demo'),
    hostRoot: path.join(root, 'demo', 'host-root'),
    // Short: a VM's console socket lives under it, and a unix socket path holds 107 bytes.
    agentStateDir: path.join(root, 'agent'),
  };
}
