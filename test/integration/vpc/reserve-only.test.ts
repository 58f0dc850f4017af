// A reserve-only NetworkInterface holds its address like any interface, while its OVN port
// carries its MAC alone (no ARP answer for the address there). The address lives on in the
// port's external_ids, so a manager starting on an interface whose status has lost its
// address (an address written to OVN just before a crash, before its status was saved) keeps
// it for that interface, and another asking for it is refused. The field cannot be changed.
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { down, nbctl, type OvnLayout } from '../../../hack/ovn/index.ts';
import { useTestCluster, waitFor, type RunningManager } from '../../harness/index.ts';
import { doc, ref, refusalReason, startOperator, startOvnAndOperator } from './operator-fixture.ts';

const cluster = useTestCluster('vpc-reserve');
let layout: OvnLayout;
let running: RunningManager | undefined;

async function nb(args: string[]): Promise<string> {
  const r = await nbctl(layout, args);
  if (r.code !== 0) throw new Error(`ovn-nbctl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

interface NicStatus {
  ipAddress?: string;
  macAddress?: string;
  portName?: string;
}

async function ready(name: string): Promise<NicStatus> {
  const o = await cluster.waitForCondition(ref('NetworkInterface', name), 'Ready');
  return o.status as NicStatus;
}

beforeAll(async () => {
  ({ layout, running } = await startOvnAndOperator(cluster, 'ovn-reserve-', { dataPlane: false }));
  await cluster.apply(
    [
      doc('VPC', 'v1', { cidrBlocks: ['10.0.0.0/16'] }),
      doc('Subnet', 's1', { vpcRef: { name: 'v1' }, cidrBlock: '10.0.1.0/24' }),
      doc('NetworkInterface', 'spacer', { subnetRef: { name: 's1' } }),
    ].join('---\n'),
  );
  // The Subnet's first free address is the spacer's: once it is gone, the address a pool
  // that forgot held's would hand out first is not held's.
  await ready('spacer');
  await cluster.apply(
    [
      doc('NetworkInterface', 'held', { subnetRef: { name: 's1' }, reserveOnly: true }),
      doc('NetworkInterface', 'plain', { subnetRef: { name: 's1' } }),
    ].join('---\n'),
  );
});

afterAll(async () => {
  await running?.stop();
  await down(layout, { purge: true });
  await rm(layout.runDir, { recursive: true, force: true });
});

describe('a reserve-only NetworkInterface', () => {
  it("holds an address its port does not carry, and an ordinary interface's port still does", async () => {
    const held = await ready('held');
    const port = held.portName ?? '';
    expect(await nb(['get', 'Logical_Switch_Port', port, 'addresses'])).toBe(
      `["${held.macAddress ?? ''}"]`,
    );
    expect(
      await nb(['get', 'Logical_Switch_Port', port, 'external_ids:"kcloud.io/reserved-address"']),
    ).toBe(`"${held.ipAddress ?? ''}"`);
    const plain = await ready('plain');
    expect(plain.ipAddress).not.toBe(held.ipAddress);
    expect(await nb(['get', 'Logical_Switch_Port', plain.portName ?? '', 'addresses'])).toBe(
      `["${plain.macAddress ?? ''} ${plain.ipAddress ?? ''}"]`,
    );
  });

  it('can be turned on and off: the port is rewritten, the address stays', async () => {
    const plain = await ready('plain');
    const port = plain.portName ?? '';
    const addresses = () => nb(['get', 'Logical_Switch_Port', port, 'addresses']);
    await cluster.apply(
      doc('NetworkInterface', 'plain', { subnetRef: { name: 's1' }, reserveOnly: true }),
    );
    await waitFor(async () => (await addresses()) === `["${plain.macAddress ?? ''}"]`, {
      what: "plain's port carrying its MAC alone",
      describe: addresses,
    });
    expect((await ready('plain')).ipAddress).toBe(plain.ipAddress);
    await cluster.apply(doc('NetworkInterface', 'plain', { subnetRef: { name: 's1' } }));
    const both = `["${plain.macAddress ?? ''} ${plain.ipAddress ?? ''}"]`;
    await waitFor(async () => (await addresses()) === both, {
      what: "plain's port carrying its MAC and address again",
      describe: addresses,
    });
    expect(
      await nb([
        '--if-exists',
        'get',
        'Logical_Switch_Port',
        port,
        'external_ids:"kcloud.io/reserved-address"',
      ]),
    ).toBe('');
    expect((await ready('plain')).ipAddress).toBe(plain.ipAddress);
  });

  it('keeps its address from its port when a manager starts on a status without it', async () => {
    const before = await ready('held');
    const spacer = await cluster.kubectl([
      'delete',
      'networkinterface',
      'spacer',
      `--namespace=${cluster.namespace}`,
    ]);
    expect(spacer.code).toBe(0);
    await cluster.waitForGone(ref('NetworkInterface', 'spacer'));
    await running?.stop();
    running = undefined;
    const cleared = await cluster.kubectl([
      'patch',
      'networkinterface',
      'held',
      `--namespace=${cluster.namespace}`,
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"ipAddress":null}}',
    ]);
    expect(cleared.code).toBe(0);
    expect((await cluster.read(ref('NetworkInterface', 'held'))).status?.ipAddress).toBeUndefined();
    // Asks for the address while no manager runs: whichever the new one reconciles first,
    // the pool it builds already has the address as held's.
    await cluster.apply(
      doc('NetworkInterface', 'thief', { subnetRef: { name: 's1' }, ipAddress: before.ipAddress }),
    );
    running = await startOperator(layout, cluster.namespace);
    expect(await refusalReason(cluster, 'NetworkInterface', 'thief')).toBe('IPInUse');
    // Its Ready condition is the old manager's: wait for the address to be written again.
    const after = await waitFor(
      async () => {
        const s = (await cluster.read(ref('NetworkInterface', 'held'))).status as NicStatus;
        return s.ipAddress ? s : undefined;
      },
      { what: 'held given its address again' },
    );
    expect(after.ipAddress).toBe(before.ipAddress);
    expect(await nb(['get', 'Logical_Switch_Port', after.portName ?? '', 'addresses'])).toBe(
      `["${after.macAddress ?? ''}"]`,
    );
  });
});
