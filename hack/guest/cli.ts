#!/usr/bin/env node
// hack/guest.sh build | path — the probe guest and the demo guest in .local/guest (or
// $KCLOUD_GUEST_DIR).
import { readProbeGuest } from '../../agent/host/hypervisor/index.ts';
import { runCli } from '../cluster/index.ts';
import { buildProbeGuest } from './build.ts';
import { buildDemoGuest } from './demo-build.ts';
import { guestDir } from './layout.ts';

const usage = [
  'usage: guest.sh build   fetch the Debian kernel, build the probe initramfs and the demo guest disk (only what changed)',
  '       guest.sh path    print the folder of the built probe guest (its probe-guest.json)',
].join('\n');

async function main(argv: string[]): Promise<number> {
  const dir = guestDir();
  switch (argv[0]) {
    case 'build': {
      const r = await buildProbeGuest(dir, (line) => {
        console.log(line);
      });
      console.log(
        `probe guest ${r.rebuilt.length > 0 ? `built (${r.rebuilt.join(', ')})` : 'up to date'}: ${r.guest.kernelVersion}, ${dir}`,
      );
      const demo = await buildDemoGuest(dir, (line) => {
        console.log(line);
      });
      console.log(
        `demo guest ${demo.built ? 'built' : 'up to date'}: ${demo.guest.image} (${String(demo.guest.bytes)} bytes, sha256 ${demo.guest.sha256})`,
      );
      return 0;
    }
    case 'path':
      // Fails with the way to build it when it is not there.
      await readProbeGuest(dir);
      console.log(dir);
      return 0;
    default:
      console.error(usage);
      return 2;
  }
}

runCli(main);
