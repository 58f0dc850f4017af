#!/usr/bin/env node
// hack/ceph.sh up|down|purge|status|env — a single-host Ceph cluster for development.
import { realClock } from '../../controllers/clock/index.ts';
import { processLine, runCli } from '../cluster/index.ts';
import {
  cephDown,
  cephEnvVars,
  cephLayoutFromEnv,
  cephStatus,
  cephUp,
  componentOrder,
  monAddrVec,
  readState,
} from './index.ts';

const usage = 'usage: ceph.sh up | down | purge | status | env';

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

async function main(argv: string[]): Promise<number> {
  const layout = cephLayoutFromEnv();
  const log = (line: string) => {
    console.log(line);
  };
  switch (argv[0]) {
    case 'up': {
      const info = await cephUp(layout, { log, clock: realClock });
      log(`mon host ${info.monHost}  conf ${info.conf}`);
      log(`eval "$(hack/ceph.sh env)"   # then ceph -s, rbd ls <pool>`);
      return 0;
    }
    case 'down':
      await cephDown(layout, { log });
      return 0;
    case 'purge':
      await cephDown(layout, { log, purge: true });
      return 0;
    case 'env': {
      const state = await readState(layout);
      if (!state) {
        console.error(`no Ceph cluster recorded in ${layout.runDir}: run \`hack/ceph.sh up\``);
        return 1;
      }
      for (const [key, value] of Object.entries(cephEnvVars(layout, state.ports))) {
        log(`export ${key}=${shellQuote(value)}`);
      }
      return 0;
    }
    case 'status': {
      const s = await cephStatus(layout);
      if (!s.state) {
        log('not running');
        return 1;
      }
      for (const name of componentOrder) {
        const p = s.state.processes.find((proc) => proc.name === name);
        log(p ? processLine(p, s.alive[name] === true) : `${name.padEnd(16)} not started`);
      }
      log(`mon host ${monAddrVec(s.state.ports)}  conf ${layout.conf}`);
      if (s.readiness && !s.readiness.ready)
        log(`waiting for ${s.readiness.waitingFor.join('; ')}`);
      log(s.ready ? 'ready' : 'not ready');
      return s.ready ? 0 : 1;
    }
    default:
      console.error(usage);
      return 2;
  }
}

runCli(main);
