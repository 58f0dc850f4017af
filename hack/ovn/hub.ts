import type { Clock } from '../../controllers/clock/index.ts';
import { isOurs } from '../cluster/index.ts';
import { chassisLayout } from './chassis-layout.ts';
import type { OvnLayout } from './layout.ts';
import { linkProviderNetwork } from './provider-network.ts';
import { dataPlaneNetns, readState } from './state.ts';
import {
  joinUnderlay,
  linkToHub,
  readUnderlay,
  seedNeighbours,
  waitUnderlayRoutes,
} from './underlay.ts';

/**
 * After the OVN's own ovs-vswitchd was restarted: its underlay address and every link to the
 * extra chassis went with its namespace. Puts it back on the underlay and links again each
 * extra chassis whose ovs-vswitchd runs (one that does not gets its link from its next
 * upChassis). Returns the chassis linked.
 */
export async function relinkHub(ovn: OvnLayout, clock: Clock): Promise<string[]> {
  const record = await readUnderlay(ovn);
  const members = Object.entries(record?.members ?? {});
  if (!record || members.length === 0) return [];
  const hub = { layout: ovn, netns: await dataPlaneNetns(ovn) };
  await joinUnderlay(hub, record.address);
  const linked: string[] = [];
  const layouts = [ovn];
  for (const [name, m] of members) {
    const layout = chassisLayout(ovn, m.runDir);
    const vswitchd = (await readState(layout))?.processes.find((p) => p.name === 'ovs-vswitchd');
    if (!vswitchd || !isOurs(vswitchd)) continue;
    const netns = `/proc/${String(vswitchd.pid)}/ns/net`;
    await linkToHub(hub, { layout, netns }, vswitchd.pid, name);
    for (const net of m.providerNetworks ?? []) {
      await linkProviderNetwork(hub, { layout, netns }, vswitchd.pid, name, net);
    }
    await seedNeighbours(
      { ...hub, address: record.address },
      { layout, netns, address: m.address },
    );
    linked.push(name);
    layouts.push(layout);
  }
  await waitUnderlayRoutes(layouts, clock);
  return linked;
}
