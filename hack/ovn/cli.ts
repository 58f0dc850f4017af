#!/usr/bin/env node
// hack/ovn.sh up|down|status|purge|env|guest — a local OVN for development.
import { realClock } from '../../controllers/clock/index.ts';
import { processLine, runCli } from '../cluster/index.ts';
import {
  connectionFor,
  devOvnLayout,
  down,
  instanceVars,
  ovnLayout,
  status,
  up,
  type OvnConnection,
} from './index.ts';
import { parseUpFlags } from './flags.ts';
import { guestLines, guestMain, guestUsage } from './guest-cli.ts';
import { guestStatuses } from './guests.ts';

const usage = [
  'usage: ovn.sh up [--data-plane|--no-data-plane] [--chassis=NAME] | down | purge | status | env',
  guestUsage.replace(/^usage: /, '       '),
].join('\n');

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

function printConnection(log: (line: string) => void, c: OvnConnection): void {
  log(`northbound: ${c.nb.unix}  ${c.nb.tcp}`);
  log(`southbound: ${c.sb.unix}  ${c.sb.tcp}`);
}

async function main(argv: string[]): Promise<number> {
  // Another instance than the development one, such as a test's.
  const dir = process.env.KCLOUD_OVN_DIR;
  const layout = dir ? ovnLayout(dir) : devOvnLayout();
  const log = (line: string) => {
    console.log(line);
  };
  switch (argv[0]) {
    case 'up': {
      const flags = parseUpFlags(argv.slice(1));
      if (!flags) {
        console.error(usage);
        return 2;
      }
      const began = realClock.now();
      const info = await up(layout, { ...flags, log, clock: realClock });
      if (info.started) log(`up in ${((realClock.now() - began) / 1000).toFixed(2)} s`);
      if (info.options.dataPlane) log(`chassis ${info.options.chassis} (userspace datapath)`);
      printConnection(log, info.connection);
      log(`eval "$(hack/ovn.sh env)"   # then ovn-nbctl show, ovn-sbctl show, ovs-vsctl show`);
      return 0;
    }
    case 'down':
      await down(layout, { log });
      return 0;
    case 'purge':
      await down(layout, { purge: true, log });
      return 0;
    case 'env':
      for (const [key, value] of Object.entries(instanceVars(layout))) {
        log(`export ${key}=${shellQuote(value)}`);
      }
      return 0;
    case 'status': {
      const s = await status(layout);
      if (!s.state) {
        log('not running');
        return 1;
      }
      for (const p of s.state.processes) {
        log(processLine(p, s.alive[p.name as keyof typeof s.alive] === true));
      }
      printConnection(log, connectionFor(layout, s.state.ports));
      const guests = await guestStatuses(layout);
      if (guests.length > 0) for (const line of guestLines(guests)) log(line);
      log(s.ready ? 'ready' : 'not ready');
      return s.ready ? 0 : 1;
    }
    case 'guest':
      return guestMain(layout, argv.slice(1));
    default:
      console.error(usage);
      return 2;
  }
}

runCli(main);
