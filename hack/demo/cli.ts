// make demo: the local control plane, OVN with its data plane, the manager and the agent, the
// samples Ready and the instances answering ping, shown.
// make down: stops the manager, the agent, the VMs and OVN (the Makefile then stops the
// control plane).
// make status: everything the demo runs, and the instances.
// node hack/demo/cli.ts console|vnc <namespace>/<instance>: reach an instance's VM.
// Variables: DATA_PLANE=1|0 (OVN's data plane and the instances; on by default for root),
// MANAGER_FLAGS and AGENT_FLAGS (extra flags for kcloud-manager and kcloud-agent).
import { runCli } from '../cluster/index.ts';
import { consoleMain } from './console.ts';
import { splitFlags } from './flags.ts';
import { devPlaces } from './places.ts';
import { runDemo, stopDemo, usageText } from './run.ts';
import { allReady, demoStatus, formatStatus } from './status.ts';

const log = (line: string) => {
  console.log(line);
};

async function main(argv: string[]): Promise<number> {
  const places = devPlaces();
  switch (argv[0]) {
    case 'down':
      await stopDemo(places, log);
      return 0;
    case 'status': {
      const groups = await demoStatus();
      for (const line of formatStatus(groups)) log(line);
      return allReady(groups) ? 0 : 1;
    }
    case 'console':
    case 'vnc':
      return consoleMain(process.env.KUBECONFIG ?? places.cluster.kubeconfig, argv);
    case undefined: {
      // Read first, so a mistake in them stops the demo before it starts anything.
      const flags = {
        'kcloud-manager': splitFlags(process.env.MANAGER_FLAGS ?? ''),
        'kcloud-agent': splitFlags(process.env.AGENT_FLAGS ?? ''),
      };
      const began = Date.now();
      const r = await runDemo(places, { dataPlane: process.env.DATA_PLANE, flags, log });
      log(usageText(places, r));
      log(`(make demo took ${((Date.now() - began) / 1000).toFixed(0)} s)`);
      return 0;
    }
    default:
      console.error('usage: node hack/demo/cli.ts [down | status | console | vnc]');
      return 2;
  }
}

runCli(main);
