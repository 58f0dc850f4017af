// The ECS kinds (Flavor, Instance, InstanceOperation, DeploymentSet) refuse bad input at the API
// server, before any controller sees it, each with a message that says what to change: no size
// or two, too many volumes or one named twice, interfaces without exactly one primary,
// hostnames that are no DNS label, changed immutable fields, operations missing what their
// action needs. Good objects, the examples and the manifests docs/ecs.md shows are accepted;
// kubectl prints their columns and explains their fields.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import type { KubernetesObject } from '@kubernetes/client-node';
import { repoRoot } from '../../../hack/cluster/index.ts';
import { rejection, useTestCluster, waitFor } from '../../harness/index.ts';

const cluster = useTestCluster('ecs-api');

const ecs = 'ecs.kcloud.io/v1alpha1';
const doc = (kind: string, name: string, spec: object, labels: object = {}) =>
  `apiVersion: ${ecs}\nkind: ${kind}\nmetadata: {name: ${name}, labels: ${JSON.stringify(labels)}}\nspec: ${JSON.stringify(spec)}\n`;

/** The API server's answer to an apply that must fail: 422 and its message. */
async function refused(kind: string, name: string, spec: object): Promise<string> {
  const r = await rejection(cluster.apply(doc(kind, name, spec)));
  expect(r.code).toBe(422);
  return r.message;
}

/** The same through a plain create, for rules server-side apply checks before CEL. */
async function refusedOnCreate(kind: string, name: string, spec: object): Promise<string> {
  const r = await rejection(
    cluster.objects.create({
      apiVersion: ecs,
      kind,
      metadata: { name, namespace: cluster.namespace },
      spec,
    } as KubernetesObject),
  );
  expect(r.code).toBe(422);
  return r.message;
}

// Cluster-scoped names are shared by every test file: prefix them with this file's namespace.
let small: string;
const instance = (spec: object = {}) => ({
  flavorRef: { name: small },
  imageRef: { name: 'debian' },
  ...spec,
});
const nic = (name: string, more: object = {}) => ({ name, subnetRef: { name: 'web' }, ...more });

beforeAll(async () => {
  small = `${cluster.namespace}-small`;
  await cluster.apply(
    [
      doc('Flavor', small, { vcpu: 1, memory: '2Gi' }),
      doc(
        'Instance',
        'web-1',
        instance({
          imageRef: { name: 'debian', namespace: 'kcloud-public' },
          bootVolume: { size: '10Gi', volumeTypeRef: { name: 'standard' } },
          dataVolumes: [{ name: 'data-1' }, { name: 'data-2' }],
          networkInterfaces: [
            nic('eth0', { primary: true, securityGroupRefs: [{ name: 'web' }] }),
            { name: 'eth1', networkInterfaceRef: { name: 'extra' } },
          ],
          hostname: 'web-1',
          sshAuthorizedKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx0 alice@laptop'],
          userData: '#cloud-config\nruncmd: [echo hi]\n',
          runStrategy: 'Always',
          powerState: 'Running',
          placement: {
            hostGroup: 'general',
            hostSelector: { disk: 'ssd' },
            antiAffinity: [
              { selector: { matchLabels: { app: 'web' } }, topology: 'Host', type: 'Required' },
            ],
            affinity: [
              {
                selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['db'] }] },
                topology: 'Rack',
                type: 'Preferred',
                weight: 10,
              },
            ],
            deploymentSetRef: { name: 'web' },
          },
          priority: 10,
        }),
        { app: 'web' },
      ),
      doc(
        'Instance',
        'inline',
        instance({
          flavorRef: undefined,
          resources: { vcpu: 2, memory: '1536Mi' },
          userDataSecretRef: { name: 'seed' },
          runStrategy: 'Halted',
        }),
      ),
      doc('DeploymentSet', 'web', {}),
      doc('InstanceOperation', 'reboot', { instanceRef: { name: 'web-1' }, action: 'reboot' }),
    ].join('---\n'),
  );
});

describe('Instance', () => {
  it('takes exactly one of a Flavor or inline resources', async () => {
    expect(await refused('Instance', 'none', { imageRef: { name: 'debian' } })).toContain(
      'give exactly one of flavorRef or resources',
    );
    expect(
      await refused('Instance', 'both', instance({ resources: { vcpu: 1, memory: '1Gi' } })),
    ).toContain('give exactly one of flavorRef or resources');
  });

  it('refuses memory that is not whole MiB or out of range, and zero vCPUs', async () => {
    for (const memory of ['1.5Gi', '1000M', '100000Ki']) {
      expect(
        await refused(
          'Instance',
          'mem',
          instance({ flavorRef: undefined, resources: { vcpu: 1, memory } }),
        ),
      ).toContain('memory must be a whole number of MiB');
    }
    expect(
      await refused(
        'Instance',
        'tiny',
        instance({ flavorRef: undefined, resources: { vcpu: 1, memory: '8Mi' } }),
      ),
    ).toContain('memory must be from 16Mi to 16Ti');
    expect(
      await refused(
        'Instance',
        'novcpu',
        instance({ flavorRef: undefined, resources: { vcpu: 0, memory: '1Gi' } }),
      ),
    ).toContain('spec.resources.vcpu');
  });

  it('refuses 16 data volumes, and a volume named twice', async () => {
    const sixteen = Array.from({ length: 16 }, (_, k) => ({ name: `v${String(k)}` }));
    expect(await refused('Instance', 'many', instance({ dataVolumes: sixteen }))).toContain(
      'spec.dataVolumes: Too many: 16: must have at most 15 items',
    );
    const twice = instance({ dataVolumes: [{ name: 'data' }, { name: 'data' }] });
    expect(await refusedOnCreate('Instance', 'twice', twice)).toContain(
      'dataVolumes must name each Volume once',
    );
    // Server-side apply finds the duplicate key before the rules run, and says so too.
    const r = await rejection(cluster.apply(doc('Instance', 'twice', twice)));
    expect(r.message).toContain('duplicate entries for key [name="data"]');
  });

  it('needs exactly one primary interface, each one a reference or a new interface', async () => {
    expect(
      await refused(
        'Instance',
        'two-primaries',
        instance({ networkInterfaces: [nic('a', { primary: true }), nic('b', { primary: true })] }),
      ),
    ).toContain('exactly one network interface must be primary: true');
    expect(
      await refused('Instance', 'no-primary', instance({ networkInterfaces: [nic('a')] })),
    ).toContain('exactly one network interface must be primary: true');
    expect(
      await refused(
        'Instance',
        'ref-and-subnet',
        instance({
          networkInterfaces: [nic('a', { primary: true, networkInterfaceRef: { name: 'x' } })],
        }),
      ),
    ).toContain('an interface takes exactly one of networkInterfaceRef or subnetRef');
    expect(
      await refused(
        'Instance',
        'ref-with-ip',
        instance({
          networkInterfaces: [
            { name: 'a', primary: true, networkInterfaceRef: { name: 'x' }, ipAddress: '10.0.0.5' },
          ],
        }),
      ),
    ).toContain('securityGroupRefs and ipAddress are for a new interface (subnetRef)');
    expect(
      await refused(
        'Instance',
        'same-nic',
        instance({
          networkInterfaces: [
            { name: 'a', primary: true, networkInterfaceRef: { name: 'x' } },
            { name: 'b', networkInterfaceRef: { name: 'x' } },
          ],
        }),
      ),
    ).toContain('a NetworkInterface can be named by one interface only');
    expect(
      await refused(
        'Instance',
        'bad-ip',
        instance({ networkInterfaces: [nic('a', { primary: true, ipAddress: '10.0.0.300' })] }),
      ),
    ).toContain('must be an IPv4 address such as 10.0.1.10');
    const seventeen = Array.from({ length: 17 }, (_, k) =>
      nic(`e${String(k)}`, { primary: k === 0 }),
    );
    expect(await refused('Instance', 'nics', instance({ networkInterfaces: seventeen }))).toContain(
      'must have at most 16 items',
    );
  });

  it('refuses a hostname that is no RFC 1123 label, and a bad SSH key', async () => {
    for (const hostname of ['web_1', 'Web-1', '-web', 'web-']) {
      expect(await refused('Instance', 'host', instance({ hostname }))).toContain(
        'hostname must be an RFC 1123 label',
      );
    }
    expect(
      await refused('Instance', 'key', instance({ sshAuthorizedKeys: ['AAAAB3Nza alice'] })),
    ).toContain('an SSH key is one OpenSSH public key line');
  });

  it('refuses user-data given twice or too large, and contradictory power settings', async () => {
    expect(
      await refused(
        'Instance',
        'seed',
        instance({ userData: '#!/bin/sh', userDataSecretRef: { name: 'seed' } }),
      ),
    ).toContain('give user-data inline (userData) or from a Secret (userDataSecretRef), not both');
    expect(
      await refused('Instance', 'big-seed', instance({ userData: 'x'.repeat(32769) })),
    ).toContain('spec.userData: Too long');
    expect(
      await refused(
        'Instance',
        'halted',
        instance({ runStrategy: 'Halted', powerState: 'Running' }),
      ),
    ).toContain('runStrategy Halted keeps the instance stopped');
  });

  it('refuses images of other namespaces and malformed placement terms', async () => {
    expect(
      await refused('Instance', 'img', instance({ imageRef: { name: 'x', namespace: 'other' } })),
    ).toContain("an image is in the Instance's namespace or in kcloud-public");
    const term = (t: object) => instance({ placement: { affinity: [t] } });
    expect(
      await refused(
        'Instance',
        'weight',
        term({
          selector: { matchLabels: { a: 'b' } },
          topology: 'Host',
          type: 'Required',
          weight: 5,
        }),
      ),
    ).toContain('weight is for Preferred terms only');
    expect(
      await refused(
        'Instance',
        'empty',
        term({ selector: {}, topology: 'Host', type: 'Required' }),
      ),
    ).toContain('a selector needs matchLabels or matchExpressions');
    expect(
      await refused(
        'Instance',
        'in',
        term({
          selector: { matchExpressions: [{ key: 'app', operator: 'In' }] },
          topology: 'Rack',
          type: 'Required',
        }),
      ),
    ).toContain('In and NotIn take values; Exists and DoesNotExist take none');
  });

  it('keeps what cannot change in place, and lets the rest change', async () => {
    const base = (await cluster.read({ apiVersion: ecs, kind: 'Instance', name: 'web-1' })) as {
      spec: Record<string, unknown> & { networkInterfaces: Record<string, unknown>[] };
    };
    const change = async (spec: object) =>
      (
        await rejection(
          cluster.objects.replace({
            ...(base as unknown as KubernetesObject),
            spec: { ...base.spec, ...spec },
          }),
        )
      ).message;
    expect(await change({ imageRef: { name: 'other' } })).toContain(
      'imageRef is immutable: run an InstanceOperation with action rebuild',
    );
    expect(
      await change({ bootVolume: { size: '5Gi', volumeTypeRef: { name: 'standard' } } }),
    ).toContain('size cannot shrink');
    expect(
      await change({ bootVolume: { size: '10Gi', volumeTypeRef: { name: 'fast' } } }),
    ).toContain('volumeTypeRef is immutable');
    expect(await change({ bootVolume: { size: '10Gi' } })).toContain(
      'the boot volume’s volumeTypeRef cannot be added or removed',
    );
    const [eth0, eth1] = base.spec.networkInterfaces;
    expect(
      await change({ networkInterfaces: [{ ...eth0, subnetRef: { name: 'db' } }, eth1] }),
    ).toContain('subnetRef is immutable');
    expect(
      await change({
        networkInterfaces: [
          { ...eth0, primary: false },
          { ...eth1, primary: true },
        ],
      }),
    ).toContain('which interface is primary cannot be changed');
    expect(
      await change({ networkInterfaces: [{ ...eth0, ipAddress: '10.0.0.9' }, eth1] }),
    ).toContain('nor gain or lose its ipAddress');
    // Growing the boot volume, another data volume, a third interface, a new size: accepted.
    const edited = await cluster.objects.replace({
      ...(base as unknown as KubernetesObject),
      spec: {
        ...base.spec,
        flavorRef: undefined,
        resources: { vcpu: 2, memory: '4Gi' },
        bootVolume: { size: '20Gi', volumeTypeRef: { name: 'standard' } },
        dataVolumes: [{ name: 'data-1' }, { name: 'data-2' }, { name: 'data-3' }],
        networkInterfaces: [eth0, eth1, { name: 'eth2', subnetRef: { name: 'db' } }],
        powerState: 'Paused',
      },
    } as KubernetesObject);
    expect((edited as { spec: { powerState: string } }).spec.powerState).toBe('Paused');
  });

  it('shows its columns', async () => {
    const stored = await cluster.read({ apiVersion: ecs, kind: 'Instance', name: 'inline' });
    await cluster.custom.replaceNamespacedCustomObjectStatus({
      group: 'ecs.kcloud.io',
      version: 'v1alpha1',
      plural: 'instances',
      namespace: cluster.namespace,
      name: 'inline',
      body: {
        ...stored,
        status: {
          phase: 'Running',
          host: 'host-7',
          allocated: { vcpu: 2, memoryBytes: 1536 * 1024 ** 2 },
          interfaces: [
            { name: 'eth0', ipAddresses: ['10.0.1.5'], macAddress: '02:00:00:00:00:05' },
          ],
          conditions: [
            {
              type: 'Ready',
              status: 'True',
              reason: 'Running',
              message: 'the VM runs',
              lastTransitionTime: '2026-01-02T03:04:05Z',
            },
          ],
        },
      },
    });
    for (const resource of ['instances', 'ecs']) {
      const out = await cluster.kubectl(['get', resource, 'inline', '-n', cluster.namespace]);
      expect(out.code).toBe(0);
      expect(out.stdout).toMatch(/^NAME\s+FLAVOR\s+HOST\s+IP\s+PHASE\s+READY\s+AGE\n/);
      expect(out.stdout).toMatch(/\ninline\s+host-7\s+10\.0\.1\.5\s+Running\s+True\s+\S+\n/);
    }
    const wide = await cluster.kubectl([
      'get',
      'ecs',
      'web-1',
      '-o',
      'wide',
      '-n',
      cluster.namespace,
    ]);
    expect(wide.stdout).toMatch(
      /^NAME\s+FLAVOR\s+HOST\s+IP\s+POWER\s+IMAGE\s+PHASE\s+READY\s+AGE\n/,
    );
    const rows = [
      [
        'flavor',
        small,
        /^NAME\s+VCPU\s+MEMORY\s+PHASE\s+READY\s+AGE\n/,
        /\n\S+-small\s+1\s+2Gi\s+/,
      ],
      [
        'deployset',
        'web',
        /^NAME\s+TOPOLOGY\s+POLICY\s+MAX\s+INSTANCES\s+PHASE\s+READY\s+AGE\n/,
        /\nweb\s+Host\s+Strict\s+1\s+/,
      ],
      [
        'ecsop',
        'reboot',
        /^NAME\s+INSTANCE\s+ACTION\s+PHASE\s+READY\s+AGE\n/,
        /\nreboot\s+web-1\s+reboot\s+/,
      ],
    ] as const;
    for (const [resource, name, header, row] of rows) {
      const out = await cluster.kubectl(['get', resource, name, '-n', cluster.namespace]);
      expect(out.code).toBe(0);
      expect(out.stdout).toMatch(header);
      expect(out.stdout).toMatch(row);
    }
  });
});

describe('Flavor and DeploymentSet', () => {
  it('keeps a Flavor as it was made', async () => {
    expect(await refused('Flavor', small, { vcpu: 2, memory: '2Gi' })).toContain(
      'a Flavor cannot be changed: create another Flavor',
    );
    expect(
      await refused('Flavor', `${cluster.namespace}-x`, { vcpu: 1, memory: '1.5Gi' }),
    ).toContain('memory must be a whole number of MiB');
    expect(
      await refused('Flavor', `${cluster.namespace}-q`, {
        vcpu: 1,
        memory: '1Gi',
        cpuQuotaPercent: 150,
      }),
    ).toContain('spec.cpuQuotaPercent');
  });

  it('defaults a DeploymentSet to one instance per host, strictly', async () => {
    const set = await cluster.read({ apiVersion: ecs, kind: 'DeploymentSet', name: 'web' });
    expect((set as { spec?: unknown }).spec).toEqual({
      topology: 'Host',
      policy: 'Strict',
      maxPerDomain: 1,
    });
    expect(await refused('DeploymentSet', 'zero', { maxPerDomain: 0 })).toContain(
      'spec.maxPerDomain',
    );
    expect(await refused('DeploymentSet', 'zone', { topology: 'Zone' })).toContain(
      'supported values: "Host", "Rack"',
    );
  });
});

describe('InstanceOperation', () => {
  const op = (action: string, more: object = {}) => ({
    instanceRef: { name: 'web-1' },
    action,
    ...more,
  });
  const secret = { username: 'root', passwordSecretRef: { name: 'pw' } };

  it('takes what its action needs, and only that', async () => {
    expect(await refused('InstanceOperation', 'pw', op('reset-password'))).toContain(
      'action reset-password needs resetPassword (username and passwordSecretRef)',
    );
    expect(
      await refused(
        'InstanceOperation',
        'pw2',
        op('reset-password', { resetPassword: { username: 'root' } }),
      ),
    ).toContain('spec.resetPassword.passwordSecretRef: Required value');
    expect(
      await refused('InstanceOperation', 'rb', op('reboot', { resetPassword: secret })),
    ).toContain('other actions take none');
    expect(await refused('InstanceOperation', 'rb2', op('force-stop', { rebuild: {} }))).toContain(
      'rebuild is for action rebuild only',
    );
    expect(await refused('InstanceOperation', 'bad', op('explode'))).toContain(
      'supported values: "reboot", "force-reboot", "force-stop", "rebuild", "reset-password"',
    );
    await cluster.apply(
      [
        doc('InstanceOperation', 'pw', op('reset-password', { resetPassword: secret })),
        doc(
          'InstanceOperation',
          'rebuild',
          op('rebuild', { rebuild: { imageRef: { name: 'debian-13' } } }),
        ),
        doc('InstanceOperation', 'again', op('rebuild')),
        doc('InstanceOperation', 'reset', op('force-reboot')),
      ].join('---\n'),
    );
  });

  it('cannot be changed', async () => {
    expect(await refused('InstanceOperation', 'reboot', op('force-reboot'))).toContain(
      'an operation cannot be changed: create a new InstanceOperation',
    );
  });
});

describe('the samples and kubectl explain', () => {
  it('accepts the samples', async () => {
    const text = await readFile(path.join(repoRoot, 'operators/ecs/samples/ecs.yaml'), 'utf8');
    const r = await cluster.kubectl(
      ['apply', '--server-side', '--dry-run=server', '-n', cluster.namespace, '-f', '-'],
      text,
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toHaveLength(4);
  });

  it('accepts the manifests docs/ecs.md shows', async () => {
    const text = await readFile(path.join(repoRoot, 'docs/ecs.md'), 'utf8');
    const manifests = [...text.matchAll(/```text\n(apiVersion: ecs\.kcloud\.io[\s\S]*?)```/g)].map(
      (m) => m[1] ?? '',
    );
    expect(manifests.length).toBeGreaterThanOrEqual(4);
    // A namespace of their own: the docs' names (web-1, web) are this test's too.
    const ns = `${cluster.namespace}-docs`;
    await cluster.core.createNamespace({ body: { metadata: { name: ns } } });
    try {
      for (const m of manifests) {
        const r = await cluster.kubectl(
          ['apply', '--server-side', '--dry-run=server', '-n', ns, '-f', '-'],
          m,
        );
        expect(r.stderr).toBe('');
        expect(r.stdout).toContain('serverside-applied (server dry run)');
      }
    } finally {
      await cluster.core.deleteNamespace({ name: ns });
    }
  });

  it('teaches the API', async () => {
    // kubectl wraps long descriptions: compare with the line breaks folded away. The API server
    // publishes a new CRD's OpenAPI a moment after it is Established.
    const text = async (what: string) =>
      waitFor(
        async () => {
          const out = await cluster.kubectl(['explain', what]);
          return out.code === 0 ? out.stdout.replace(/\s+/g, ' ') : undefined;
        },
        { timeoutMs: 30_000, what: `kubectl explain ${what}` },
      );
    expect(await text('instances')).toContain('Instance is a virtual machine');
    expect(await text('instances.spec.networkInterfaces')).toContain(
      'Network interfaces, up to 16: exactly one primary.',
    );
    expect(await text('instances.spec.placement.antiAffinity.topology')).toContain(
      'a host without one belongs to no rack',
    );
    expect(await text('instances.status.phase')).toContain(
      'Pending, Scheduling, Starting, Running, Stopping, Stopped, Paused, Migrating, Failed, Deleting',
    );
    expect(await text('flavors.spec.memory')).toContain('a whole number of MiB');
    expect(await text('instanceoperations.spec.action')).toContain(
      'rebuild: replace the boot volume with a fresh clone of an image',
    );
    expect(await text('deploymentsets.spec.policy')).toContain('BestEffort');
  });
});
