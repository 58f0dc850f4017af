#!/usr/bin/env node
// hack/cluster.sh up|down|status|purge — the local control plane for development and demos.
import { devLayout, down, processLine, runCli, serverVersion, status, up } from './index.ts';

const usage = 'usage: cluster.sh up [--unsafe-no-fsync] | down | purge | status';

async function main(argv: string[]): Promise<number> {
  const layout = devLayout();
  const log = (line: string) => {
    console.log(line);
  };
  switch (argv[0]) {
    case 'up': {
      const info = await up(layout, { unsafeNoFsync: argv.includes('--unsafe-no-fsync') }, log);
      const version = await serverVersion(layout);
      log(`kube-apiserver ${version.gitVersion} at ${info.server}`);
      log(`export KUBECONFIG=${info.kubeconfig}`);
      return 0;
    }
    case 'down':
      await down(layout, {}, log);
      return 0;
    case 'purge':
      await down(layout, { purge: true }, log);
      return 0;
    case 'status': {
      const s = await status(layout);
      if (!s.state) {
        log('not running');
        return 1;
      }
      for (const p of s.state.processes) {
        log(processLine(p, s.alive[p.name] === true, 24));
      }
      log(
        s.ready
          ? `ready: https://127.0.0.1:${s.state.ports.apiserver} (KUBECONFIG=${layout.kubeconfig})`
          : 'not ready',
      );
      return s.ready ? 0 : 1;
    }
    default:
      console.error(usage);
      return 2;
  }
}

runCli(main);
