// The Helm chart, without a node: `helm lint`, what it renders for the values users change, its
// values.schema.json refusing bad values, the output accepted by the real API server
// (server-side dry-run), and its RBAC, created for real, granting exactly the rules in code.
import { randomBytes, X509Certificate } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { parseAllDocuments } from 'yaml';
import { chartDir, helm, helmOk } from '../../../hack/chart/index.ts';
import { agentHostPolicy, serviceAccountUser } from '../../../agent/access/index.ts';
import { hostModuleResources } from '../../../agent/host-modules.ts';
import { chartRules } from '../../../hack/generate/rbac.ts';
import { productKinds } from '../../../operators/kinds.ts';
import { tenantClusterRoles } from '../../../operators/platform/access/index.ts';
import { chartWebhookConfiguration } from '../../../operators/platform/index.ts';
import { finalizerPolicy } from '../../../controllers/admission/index.ts';
import { meteringFinalizerPolicy } from '../../../operators/platform/metering/index.ts';
import { vpcCreateFinalizer } from '../../../operators/vpc/index.ts';
import { canIList, minus, permissionsOf } from '../../harness/can-i.ts';
import { useTestCluster } from '../../harness/index.ts';

const cluster = useTestCluster('chart');

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
  spec?: {
    template?: {
      spec: {
        containers: {
          name: string;
          image: string;
          args?: string[];
          volumeMounts?: {
            name: string;
            mountPath: string;
            readOnly?: boolean;
            mountPropagation?: string;
          }[];
        }[];
        hostNetwork?: boolean;
        volumes?: { name: string; hostPath?: { path: string } }[];
      };
    };
  };
}

async function render(release: string, set: string[] = [], extra: string[] = []) {
  const out = await helmOk(cluster.kubeconfigPath, [
    'template',
    release,
    chartDir,
    '--namespace',
    cluster.namespace,
    ...set.flatMap((s) => ['--set', s]),
    ...extra,
  ]);
  return {
    text: out,
    objects: parseAllDocuments(out)
      .map((d) => d.toJS() as Manifest | null)
      .filter((o): o is Manifest => o !== null),
  };
}

const find = (objects: Manifest[], kind: string, name: string) => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o)
    throw new Error(
      `no ${kind} ${name} among ${objects.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')}`,
    );
  return o;
};

const rulesFor = (name: string) => {
  const r = chartRules().find((x) => x.name === name);
  if (!r) throw new Error(`no chart rules ${name}`);
  return r.rules;
};

describe('the kcloud chart', () => {
  it('passes helm lint --strict', async () => {
    const res = await helm(cluster.kubeconfigPath, ['lint', '--strict', chartDir]);
    expect(res.stderr + res.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(res.code).toBe(0);
  });

  it('renders every component, and the real API server accepts it (server-side dry-run)', async () => {
    const { text, objects } = await render('kcloud');
    const kinds = objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(kinds).toEqual(
      [
        'ClusterRole/kcloud-agent',
        'ClusterRole/kcloud-manager',
        'ClusterRoleBinding/kcloud-agent',
        'ClusterRoleBinding/kcloud-manager',
        'DaemonSet/kcloud-agent',
        'DaemonSet/kcloud-ovn-host',
        'Deployment/kcloud-manager',
        'Namespace/kcloud-hosts',
        'NetworkPolicy/kcloud-ovn-central',
        'PodDisruptionBudget/kcloud-manager',
        'PodDisruptionBudget/kcloud-ovn-central',
        'Role/kcloud-agent',
        'Role/kcloud-manager-leader-election',
        'RoleBinding/kcloud-agent',
        'RoleBinding/kcloud-manager-leader-election',
        'Secret/kcloud-ovn-tls-ca',
        'Secret/kcloud-ovn-tls-central',
        'Secret/kcloud-ovn-tls-host',
        'Secret/kcloud-ovn-tls-manager',
        'Service/kcloud-manager-metrics',
        'Service/kcloud-manager-webhook',
        'Service/kcloud-ovn-central',
        'Service/kcloud-ovn-central-0',
        'Service/kcloud-ovn-central-1',
        'Service/kcloud-ovn-central-2',
        'Service/kcloud-ovn-nb',
        'Service/kcloud-ovn-sb',
        'ServiceAccount/kcloud-agent',
        'ServiceAccount/kcloud-manager',
        'ServiceAccount/kcloud-ovn-central',
        'ServiceAccount/kcloud-ovn-host',
        'StatefulSet/kcloud-ovn-central',
        'ValidatingAdmissionPolicy/kcloud-agent-host',
        'ValidatingAdmissionPolicyBinding/kcloud-agent-host',
        'ValidatingWebhookConfiguration/kcloud-manager-quota',
        'MutatingAdmissionPolicy/kcloud-manager-metering',
        'MutatingAdmissionPolicy/kcloud-manager-vpc',
        'MutatingAdmissionPolicyBinding/kcloud-manager-metering',
        'MutatingAdmissionPolicyBinding/kcloud-manager-vpc',
        // The tenant roles TenantRoleBindings grant (docs/tenant-access.md).
        ...tenantClusterRoles(productKinds).map((r) => `ClusterRole/${r.metadata.name}`),
      ].sort(),
    );
    expect(text).toContain('name: kcloud-hosts');
    // A dry run creates no namespace, so the agent's Role needs a hosts namespace that exists.
    const hosts = `${cluster.namespace}-hosts`;
    await cluster.kubectl(['create', 'namespace', hosts, '--save-config']);
    try {
      // Every namespaced object names its namespace: the release's, or the hosts namespace.
      const dry = await render('kcloud', [`agent.hostsNamespace=${hosts}`]);
      const res = await cluster.kubectl(['apply', '--dry-run=server', '-f', '-'], dry.text);
      expect(res.stderr).toBe('');
      expect(res.code).toBe(0);
      expect(res.stdout).toContain('deployment.apps/kcloud-manager created (server dry run)');
      expect(res.stdout).toContain(
        'validatingadmissionpolicy.admissionregistration.k8s.io/kcloud-agent-host created (server dry run)',
      );
      expect(res.stdout).toContain(
        'validatingwebhookconfiguration.admissionregistration.k8s.io/kcloud-manager-quota created (server dry run)',
      );
      expect(res.stdout).toContain(
        'mutatingadmissionpolicy.admissionregistration.k8s.io/kcloud-manager-metering created (server dry run)',
      );
    } finally {
      await cluster.kubectl(['delete', 'namespace', hosts, '--wait=false']);
    }
  });

  it('confines the agent to its own host with the admission policy in code', async () => {
    const { objects } = await render('kcloud', ['agent.hostsNamespace=hosts-a'], ['-n', 'sys-a']);
    const rendered = objects
      .filter((o) => o.kind.startsWith('ValidatingAdmissionPolicy'))
      .map((o) => {
        const { labels, ...metadata } = o.metadata as Manifest['metadata'] & { labels?: unknown };
        expect(labels).toBeDefined();
        return { ...o, metadata };
      });
    expect(rendered).toEqual(
      agentHostPolicy({
        name: 'kcloud-agent-host',
        hostsNamespace: 'hosts-a',
        serviceAccounts: [serviceAccountUser('sys-a', 'kcloud-agent')],
        hostBound: hostModuleResources(),
      }),
    );
    expect(find(objects, 'Role', 'kcloud-agent').metadata.namespace).toBe('hosts-a');
    expect(find(objects, 'RoleBinding', 'kcloud-agent').metadata.namespace).toBe('hosts-a');
    const args = find(objects, 'DaemonSet', 'kcloud-agent').spec?.template?.spec.containers[0]
      ?.args;
    expect(args).toContain('--hosts-namespace=hosts-a');
  });

  it('gives the agent the host folders it works in, under its --host-root', async () => {
    const agentOf = async (set: string[]) => {
      const { objects } = await render('kcloud', set);
      const pod = find(objects, 'DaemonSet', 'kcloud-agent').spec?.template?.spec;
      const c = pod?.containers[0];
      const hostPathOf = (volume: string) =>
        pod?.volumes?.find((v) => v.name === volume)?.hostPath?.path;
      return {
        args: c?.args ?? [],
        mounts: (c?.volumeMounts ?? []).map((m) => ({ ...m, host: hostPathOf(m.name) })),
      };
    };
    const agent = await agentOf([
      'hostPaths.storagePools=/srv/pools',
      'hostPaths.imageImport=/srv/images',
      'hostPaths.agentState=/srv/agent',
    ]);
    expect(agent.args).toEqual(
      expect.arrayContaining([
        '--host-root=/host',
        '--image-import-dirs=/srv/images',
        '--state-dir=/var/lib/kcloud/agent',
      ]),
    );
    // A host path P is /host/P in the container: what --host-root=/host reads.
    expect(agent.mounts).toEqual(
      expect.arrayContaining([
        {
          name: 'storage-pools',
          mountPath: '/host/srv/pools',
          mountPropagation: 'HostToContainer',
          host: '/srv/pools',
        },
        {
          name: 'image-import',
          mountPath: '/host/srv/images',
          readOnly: true,
          host: '/srv/images',
        },
        { name: 'agent-state', mountPath: '/var/lib/kcloud/agent', host: '/srv/agent' },
      ]),
    );
    // No import folder: no flag, no mount.
    const none = await agentOf(['hostPaths.imageImport=']);
    expect(none.args.filter((a) => a.startsWith('--image-import-dirs'))).toEqual([]);
    expect(none.mounts.map((m) => m.name)).not.toContain('image-import');
  });

  it('refuses a hosts namespace that is the release’s own', async () => {
    const res = await helm(cluster.kubeconfigPath, [
      'template',
      'kcloud',
      chartDir,
      '--namespace',
      'kcloud-system',
      '--set',
      'agent.hostsNamespace=kcloud-system',
    ]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain("agent.hostsNamespace must not be the release's namespace");
  });

  it('grants the manager and the agent exactly the rules in code', async () => {
    const { objects } = await render('kcloud');
    // The chart reads files/rbac/operators/*.yaml in file-name order.
    const operatorRules = chartRules()
      .filter((r) => r.name.startsWith('operators/'))
      .sort((a, b) => a.name.localeCompare(b.name))
      .flatMap((r) => r.rules);
    expect(find(objects, 'ClusterRole', 'kcloud-manager').rules).toEqual([
      ...operatorRules,
      ...rulesFor('manager-events'),
    ]);
    expect(find(objects, 'Role', 'kcloud-manager-leader-election').rules).toEqual(
      rulesFor('manager-leader-election'),
    );
    expect(find(objects, 'Role', 'kcloud-agent').rules).toEqual(rulesFor('agent'));
    expect(find(objects, 'ClusterRole', 'kcloud-agent').rules).toEqual(rulesFor('agent-cluster'));
  });

  it('scopes the manager to one namespace with Roles when watchNamespace is set', async () => {
    const { objects } = await render('kcloud', [
      'manager.watchNamespace=tenant-a',
      'manager.operators=vpc',
    ]);
    // The manager's rules are Roles; only the agent's Host rules stay cluster-wide.
    expect(objects.filter((o) => o.kind === 'ClusterRole').map((o) => o.metadata.name)).toEqual([
      'kcloud-agent',
    ]);
    expect(find(objects, 'Role', 'kcloud-manager').metadata.namespace).toBe('tenant-a');
    expect(find(objects, 'RoleBinding', 'kcloud-manager').metadata.namespace).toBe('tenant-a');
    const args = find(objects, 'Deployment', 'kcloud-manager').spec?.template?.spec.containers[0]
      ?.args;
    expect(args).toContain('--namespace=tenant-a');
  });

  it('uses an OVN central of the user’s own when central.enabled is false', async () => {
    const missing = await helm(cluster.kubeconfigPath, [
      'template',
      'kcloud',
      chartDir,
      '--set',
      'ovn.central.enabled=false',
      '--set',
      'ovn.sbAddress=tcp:192.0.2.10:6642',
    ]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('ovn.nbAddress is required when ovn.central.enabled is false');
    const { objects } = await render('kcloud', [
      'ovn.central.enabled=false',
      'ovn.nbAddress=tcp:192.0.2.10:6641',
      'ovn.sbAddress=tcp:192.0.2.10:6642',
    ]);
    expect(objects.some((o) => o.metadata.name.startsWith('kcloud-ovn-central'))).toBe(false);
    expect(objects.some((o) => o.kind === 'Service' && o.metadata.name === 'kcloud-ovn-nb')).toBe(
      false,
    );
    const manager = find(objects, 'Deployment', 'kcloud-manager').spec?.template?.spec;
    expect(manager?.containers[0]?.args).toContain('--ovn-nb=tcp:192.0.2.10:6641');
  });

  it('runs OVN central as Raft clusters of three members by default, one on request', async () => {
    interface Member {
      spec: {
        replicas: number;
        serviceName: string;
        template: {
          spec: {
            containers: {
              name: string;
              env: { name: string; value?: string }[];
              livenessProbe: { exec: { command: string[] } };
              readinessProbe: { exec: { command: string[] } };
            }[];
          };
        };
      };
    }
    const central = async (set: string[]) => {
      const { objects } = await render('kcloud', set);
      const sts = find(objects, 'StatefulSet', 'kcloud-ovn-central') as unknown as Member;
      const env = (c: string) =>
        Object.fromEntries(
          (sts.spec.template.spec.containers.find((x) => x.name === c)?.env ?? []).map((e) => [
            e.name,
            e.value,
          ]),
        );
      return { objects, sts, env };
    };
    const three = await central([]);
    expect(three.sts.spec.replicas).toBe(3);
    expect(three.sts.spec.serviceName).toBe('kcloud-ovn-central');
    const names = [0, 1, 2].map(
      (i) =>
        `kcloud-ovn-central-${String(i)}.kcloud-ovn-central.${cluster.namespace}.svc.cluster.local`,
    );
    for (const c of ['nb', 'sb', 'northd']) {
      const env = three.env(c);
      expect(`${c} ${env.OVN_CENTRAL_MEMBERS ?? ''}`).toBe(`${c} ${names.join(' ')}`);
      expect(env.OVN_CENTRAL_SELF).toBe(
        `$(POD_NAME).kcloud-ovn-central.${cluster.namespace}.svc.cluster.local`,
      );
      expect(env.OVN_DBDIR).toBe('/var/lib/ovn/$(POD_NAME)');
    }
    // Readiness asks for a member in the cluster with a leader; liveness only for an answer.
    const nb = three.sts.spec.template.spec.containers.find((c) => c.name === 'nb');
    expect(nb?.readinessProbe.exec.command.slice(1)).toEqual(['probe', 'nb']);
    expect(nb?.livenessProbe.exec.command.slice(1)).toEqual(['probe', 'nb', 'alive']);
    // The members' own Services, not-ready members included (an election has none ready),
    // and the headless one by which they reach one another.
    const services = three.objects.filter(
      (o) => o.kind === 'Service' && o.metadata.name.startsWith('kcloud-ovn-central'),
    ) as unknown as {
      metadata: { name: string };
      spec: {
        clusterIP?: string;
        publishNotReadyAddresses?: boolean;
        selector: Record<string, string>;
        ports: { name: string; port: number }[];
      };
    }[];
    expect(
      services.map((svc) => ({
        name: svc.metadata.name,
        headless: svc.spec.clusterIP === 'None',
        notReady: svc.spec.publishNotReadyAddresses,
        pod: svc.spec.selector['statefulset.kubernetes.io/pod-name'],
        ports: svc.spec.ports.map((p) => `${p.name}:${String(p.port)}`),
      })),
    ).toEqual([
      {
        name: 'kcloud-ovn-central',
        headless: true,
        notReady: true,
        pod: undefined,
        ports: ['raft-nb:6643', 'raft-sb:6644'],
      },
      ...[0, 1, 2].map((i) => ({
        name: `kcloud-ovn-central-${String(i)}`,
        headless: false,
        notReady: true,
        pod: `kcloud-ovn-central-${String(i)}`,
        ports: ['nb:6641', 'sb:6642'],
      })),
    ]);
    const one = await central(['ovn.central.replicas=1']);
    expect(one.sts.spec.replicas).toBe(1);
    expect(one.env('nb').OVN_CENTRAL_MEMBERS).toBe(names[0]);
    expect(
      one.objects.some(
        (o) => o.kind === 'PodDisruptionBudget' && o.metadata.name === 'kcloud-ovn-central',
      ),
    ).toBe(false);
    expect(JSON.stringify(one.objects)).toContain(`"--ovn-nb=${memberAddresses('nb', 1)}"`);
    // `helm upgrade --reuse-values` from a release before clusters: one member.
    expect((await central(['ovn.central.replicas=null'])).sts.spec.replicas).toBe(1);
    const domain = await central(['ovn.central.clusterDomain=corp.example']);
    expect(domain.env('nb').OVN_CENTRAL_SELF).toBe(
      `$(POD_NAME).kcloud-ovn-central.${cluster.namespace}.svc.corp.example`,
    );
    for (const [set, message] of [
      [
        ['ovn.central.persistence=emptyDir'],
        'ovn.central.replicas above 1 needs ovn.central.persistence=hostPath',
      ],
      [['ovn.central.replicas=2'], 'value must be one of 1, 3, 5'],
    ] as const) {
      const res = await helm(cluster.kubeconfigPath, [
        'template',
        'kcloud',
        chartDir,
        ...set.flatMap((x) => ['--set', x]),
      ]);
      expect(res.code).not.toBe(0);
      expect(res.stderr).toContain(message);
    }
    expect(
      (await central(['ovn.central.persistence=emptyDir', 'ovn.central.replicas=1'])).sts.spec
        .replicas,
    ).toBe(1);
  });

  it('names images from the registry and tag values', async () => {
    const { objects } = await render('kcloud', [
      'image.registry=registry.example/kcloud',
      'image.tag=abc123',
    ]);
    const images = objects.flatMap(
      (o) => o.spec?.template?.spec.containers.map((c) => c.image) ?? [],
    );
    expect(new Set(images)).toEqual(
      new Set([
        'registry.example/kcloud/kcloud-manager:abc123',
        'registry.example/kcloud/kcloud-agent:abc123',
        'registry.example/kcloud/kcloud-ovn:abc123',
      ]),
    );
  });

  it('adds a ServiceMonitor only where the Prometheus operator’s CRD exists', async () => {
    const without = await render('kcloud');
    expect(without.objects.some((o) => o.kind === 'ServiceMonitor')).toBe(false);
    const withCrd = await render(
      'kcloud',
      [],
      ['--api-versions', 'monitoring.coreos.com/v1/ServiceMonitor'],
    );
    expect(find(withCrd.objects, 'ServiceMonitor', 'kcloud-manager').apiVersion).toBe(
      'monitoring.coreos.com/v1',
    );
  });

  it.each([
    ['ovn.host.datapath=kernel', 'datapath'],
    ['manager.replicas=0', 'replicas'],
    ['manager.replica=2', 'replica'],
    ['manager.resyncPeriod=often', 'resyncPeriod'],
    ['hostPaths.ovsRun=relative/path', 'ovsRun'],
    ['hostPaths.imageImport=relative/path', 'imageImport'],
    ['agent.storagePoolsPropagation=Bidirectional', 'storagePoolsPropagation'],
    ['manager.operators=vpc;rm', 'operators'],
  ])('refuses %s with a message naming the value', async (value, named) => {
    const res = await helm(cluster.kubeconfigPath, [
      'template',
      'kcloud',
      chartDir,
      '--set',
      value,
    ]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('values don');
    expect(res.stderr).toContain(named);
  });

  it('refuses a namespace-scoped manager running every operator', async () => {
    const res = await helm(cluster.kubeconfigPath, [
      'template',
      'kcloud',
      chartDir,
      '--set',
      'manager.watchNamespace=tenant-a',
    ]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('manager.watchNamespace needs manager.operators set');
  });

  it('refuses an operator it does not know', async () => {
    const res = await helm(cluster.kubeconfigPath, [
      'template',
      'kcloud',
      chartDir,
      '--set',
      'manager.operators=vpc\\,dns',
    ]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('manager.operators: unknown operator "dns"');
  });
});

describe('the quota webhook in the chart', () => {
  it('fronts every manager replica with a Service, and installs the configuration in code for the manager to fill in', async () => {
    const { objects } = await render('kcloud');
    const service = find(objects, 'Service', 'kcloud-manager-webhook') as Manifest & {
      spec: { ports: { port: number; targetPort: string }[]; selector: object };
    };
    expect(service.spec.ports).toEqual([
      { name: 'https-webhook', port: 443, targetPort: 'webhook', protocol: 'TCP' },
    ]);
    const deployment = find(objects, 'Deployment', 'kcloud-manager') as Manifest & {
      spec: { replicas: number; template: { spec: { containers: { ports: object[] }[] } } };
    };
    expect(deployment.spec.replicas).toBe(2);
    const container = deployment.spec.template.spec.containers[0];
    expect(container?.ports).toContainEqual({
      name: 'webhook',
      containerPort: 9443,
      protocol: 'TCP',
    });
    expect(container?.args).toEqual(
      expect.arrayContaining([
        '--quota-webhook=true',
        '--webhook-addr=0.0.0.0:9443',
        `--webhook-service=${cluster.namespace}/kcloud-manager-webhook:443`,
        `--webhook-secret=${cluster.namespace}/kcloud-manager-webhook-tls`,
        '--webhook-configuration=kcloud-manager-quota',
        '--manage-webhook-configuration=false',
      ]),
    );
    // The webhooks as the code writes them, pointed at the Service, without a CA bundle.
    const configuration = find(
      objects,
      'ValidatingWebhookConfiguration',
      'kcloud-manager-quota',
    ) as Manifest & {
      webhooks: { clientConfig: object }[];
    };
    const inCode = chartWebhookConfiguration() as unknown as {
      webhooks: { clientConfig: object }[];
    };
    expect(configuration.webhooks.map((w) => ({ ...w, clientConfig: {} }))).toEqual(
      inCode.webhooks.map((w) => ({ ...w, clientConfig: {} })),
    );
    for (const w of configuration.webhooks) {
      expect(w.clientConfig).toEqual({
        service: {
          namespace: cluster.namespace,
          name: 'kcloud-manager-webhook',
          port: 443,
          path: '/validate',
        },
      });
    }
  });

  it('takes the webhook’s certificate from cert-manager where its CRDs exist', async () => {
    const plain = await render('kcloud');
    expect(plain.objects.filter((o) => o.kind === 'Certificate')).toEqual([]);
    const args = (objects: Manifest[]) =>
      find(objects, 'Deployment', 'kcloud-manager').spec?.template?.spec.containers[0]?.args;
    expect(args(plain.objects)).not.toContain('--webhook-certificate=cert-manager');

    const { objects } = await render(
      'kcloud',
      [],
      ['--api-versions', 'cert-manager.io/v1/Certificate'],
    );
    const serving = find(objects, 'Certificate', 'kcloud-manager-webhook-tls') as unknown as {
      spec: {
        secretName: string;
        dnsNames: string[];
        usages: string[];
        issuerRef: { name: string };
      };
    };
    expect(serving.spec).toMatchObject({
      secretName: 'kcloud-manager-webhook-tls',
      dnsNames: [
        `kcloud-manager-webhook.${cluster.namespace}.svc`,
        `kcloud-manager-webhook.${cluster.namespace}.svc.cluster.local`,
      ],
      issuerRef: { name: 'kcloud-webhook-ca' },
    });
    expect(serving.spec.usages).toContain('server auth');
    expect(find(objects, 'Certificate', 'kcloud-webhook-ca')).toMatchObject({
      spec: { isCA: true },
    });
    const configuration = find(
      objects,
      'ValidatingWebhookConfiguration',
      'kcloud-manager-quota',
    ) as Manifest & {
      metadata: { annotations?: Record<string, string> };
    };
    expect(configuration.metadata.annotations).toEqual({
      'cert-manager.io/inject-ca-from': `${cluster.namespace}/kcloud-manager-webhook-tls`,
    });
    expect(args(objects)).toEqual(
      expect.arrayContaining([
        '--webhook-certificate=cert-manager',
        `--webhook-secret=${cluster.namespace}/kcloud-manager-webhook-tls`,
      ]),
    );
    // Asked for without cert-manager: refused, naming what is missing.
    const missing = await helm(cluster.kubeconfigPath, [
      'template',
      'kcloud',
      chartDir,
      '--set',
      'manager.webhookCertificate=cert-manager',
    ]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain(
      'manager.webhookCertificate=cert-manager needs cert-manager installed',
    );
  });

  it('leaves the webhook out where the platform operator does not run, or when turned off', async () => {
    for (const set of [['manager.operators=vpc'], ['manager.quotaWebhook=false']]) {
      const { objects } = await render('kcloud', set);
      expect(objects.filter((o) => o.kind === 'ValidatingWebhookConfiguration')).toEqual([]);
      expect(objects.find((o) => o.metadata.name === 'kcloud-manager-webhook')).toBeUndefined();
      const args = find(objects, 'Deployment', 'kcloud-manager').spec?.template?.spec.containers[0]
        ?.args;
      expect(args).toContain('--quota-webhook=false');
    }
  });
});

describe('the operators’ finalizer policies in the chart', () => {
  const policies = (objects: Manifest[]) =>
    objects
      .filter((o) => o.kind.startsWith('MutatingAdmissionPolicy'))
      .map((o) => {
        const { labels, ...metadata } = o.metadata as Manifest['metadata'] & { labels?: unknown };
        expect(labels).toBeDefined();
        return { ...o, metadata };
      })
      .sort((a, b) => `${a.kind}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.name}`));
  const expected = (objects: object[]) =>
    (objects as Manifest[]).sort((a, b) =>
      `${a.kind}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.name}`),
    );
  const metering = (namespaces?: string[]) =>
    meteringFinalizerPolicy({
      name: 'kcloud-manager-metering',
      ...(namespaces ? { namespaces } : {}),
    });
  const vpc = (namespaces?: string[]) =>
    finalizerPolicy(vpcCreateFinalizer, {
      name: 'kcloud-manager-vpc',
      ...(namespaces ? { namespaces } : {}),
    });

  it('installs each running operator’s policy as the code makes it, for the namespaces the manager watches', async () => {
    for (const operators of ['all', 'vpc\\,metering']) {
      const { objects } = await render('kcloud', [`manager.operators=${operators}`]);
      expect(policies(objects)).toEqual(expected([...metering(), ...vpc()]));
    }
    const scoped = await render('kcloud', [
      'manager.operators=metering',
      'manager.watchNamespace=team-a',
    ]);
    expect(policies(scoped.objects)).toEqual(expected(metering(['team-a'])));
    const vpcOnly = await render('kcloud', [
      'manager.operators=vpc',
      'manager.watchNamespace=team-a',
    ]);
    expect(policies(vpcOnly.objects)).toEqual(expected(vpc(['team-a'])));
  });

  it('leaves a policy out where its operator does not run', async () => {
    const { objects } = await render('kcloud', ['manager.operators=ecs\\,platform']);
    expect(policies(objects)).toEqual([]);
  });
});

describe('the chart’s RBAC, created for real', () => {
  it('lets each ServiceAccount do what docs/rbac.md says and nothing more', async () => {
    const release = `rbac-${randomBytes(3).toString('hex')}`;
    const hosts = `${release}-hosts`;
    const { objects } = await render(release, [`agent.hostsNamespace=${hosts}`]);
    await cluster.kubectl(['create', 'namespace', hosts]);
    const rbacKinds = [
      'ServiceAccount',
      'ClusterRole',
      'ClusterRoleBinding',
      'Role',
      'RoleBinding',
    ];
    const rbac = objects.filter((o) => rbacKinds.includes(o.kind));
    const manifest = rbac.map((o) => JSON.stringify(o)).join('\n');
    const applied = await cluster.kubectl(['apply', '-f', '-'], manifest);
    expect(applied.stderr).toBe('');
    try {
      const ns = cluster.namespace;
      const sa = (name: string) => `system:serviceaccount:${ns}:${release}-kcloud-${name}`;
      // What any ServiceAccount may do (discovery, self-reviews): one the chart made no rules for.
      const base = await canIList(cluster.kubeconfigPath, sa('ovn-central'), ns);
      const granted = async (name: string, namespace = ns) =>
        minus(
          await canIList(cluster.kubeconfigPath, sa(name), namespace),
          namespace === ns
            ? base
            : await canIList(cluster.kubeconfigPath, sa('ovn-central'), namespace),
        );

      const manager = [
        ...chartRules()
          .filter((r) => r.name.startsWith('operators/') || r.name.startsWith('manager-'))
          .flatMap((r) => r.rules),
      ];
      expect(await granted('manager')).toEqual([...permissionsOf(manager)].sort());
      // In the release's namespace, where the manager's leader Lease is, the agent has only its
      // cluster-wide Host rules; its Lease rules apply in the hosts namespace only.
      expect(await granted('agent')).toEqual([...permissionsOf(rulesFor('agent-cluster'))].sort());
      expect(await granted('agent', hosts)).toEqual(
        [...permissionsOf([...rulesFor('agent'), ...rulesFor('agent-cluster')])].sort(),
      );
      const clusterWide = chartRules()
        .filter((r) => r.name.startsWith('operators/') || r.name === 'manager-events')
        .flatMap((r) => r.rules);
      expect(await granted('manager', hosts)).toEqual([...permissionsOf(clusterWide)].sort());
      expect(await granted('ovn-host')).toEqual([]);

      // Nothing lists Secrets or can grant itself more. Only the manager may get one: the
      // Secret a reset-password InstanceOperation names (ECS copies the password for the agent).
      for (const name of ['manager', 'agent', 'ovn-central', 'ovn-host']) {
        for (const check of [
          ...(name === 'manager' ? [] : [['get', 'secrets']]),
          ['list', 'secrets'],
          ['watch', 'secrets'],
          // The manager makes the tenant roles' bindings (tenant-access), and may bind no other
          // role: not cluster-admin, not its own.
          ...(name === 'manager' ? [] : [['create', 'clusterrolebindings']]),
          ['bind', 'clusterroles'],
          ['bind', 'clusterroles/cluster-admin'],
          ['bind', `clusterroles/${release}-kcloud-manager`],
          ['escalate', 'clusterroles'],
          ['impersonate', 'serviceaccounts'],
          ['delete', 'vpcs.vpc.kcloud.io'],
        ]) {
          const res = await cluster.kubectl([
            'auth',
            'can-i',
            ...check,
            `--as=${sa(name)}`,
            '-n',
            ns,
          ]);
          expect(`${name} ${check.join(' ')}: ${res.stdout.trim()}`).toBe(
            `${name} ${check.join(' ')}: no`,
          );
        }
      }
    } finally {
      const names = rbac
        .filter((o) => o.kind.startsWith('Cluster'))
        .map((o) => `${o.kind.toLowerCase()}/${o.metadata.name}`);
      await cluster.kubectl(['delete', '--ignore-not-found', ...names]);
      await cluster.kubectl(['delete', 'namespace', hosts, '--wait=false']);
    }
  });
});

interface TlsSecret {
  kind: 'Secret';
  metadata: { name: string };
  data: Record<string, string>;
}

const certOf = (s: TlsSecret, key = 'tls.crt') =>
  new X509Certificate(Buffer.from(s.data[key] ?? '', 'base64'));

/** Every OVN central member's own Service, as kcloud's clients are given them. */
const memberAddresses = (db: 'nb' | 'sb', replicas = 3) =>
  Array.from(
    { length: replicas },
    (_, i) =>
      `ssl:$(KCLOUD_OVN_CENTRAL_${String(i)}_SERVICE_HOST):$(KCLOUD_OVN_CENTRAL_${String(i)}_SERVICE_PORT_${db.toUpperCase()})`,
  ).join(',');

describe('the OVN databases’ certificates and NetworkPolicy', () => {
  const secrets = (objects: Manifest[]) =>
    Object.fromEntries(
      (objects.filter((o) => o.kind === 'Secret') as unknown as TlsSecret[]).map((s) => [
        s.metadata.name.replace(/^.*-ovn-tls-/, ''),
        s,
      ]),
    );

  it('issues a CA and a certificate per component, and points every client at ssl:', async () => {
    const { objects } = await render('kcloud');
    const s = secrets(objects);
    expect(Object.keys(s).sort()).toEqual(['ca', 'central', 'host', 'manager']);
    const ca = certOf(s.ca as TlsSecret);
    expect(ca.ca).toBe(true);
    for (const part of ['central', 'host', 'manager']) {
      const secret = s[part] as TlsSecret;
      expect(certOf(secret).verify(ca.publicKey)).toBe(true);
      expect(certOf(secret, 'ca.crt').fingerprint256).toBe(ca.fingerprint256);
      expect(secret.data['tls.key']).toBeTruthy();
    }
    const names = certOf(s.central as TlsSecret).subjectAltName ?? '';
    for (const db of ['nb', 'sb']) {
      expect(names).toContain(`DNS:kcloud-ovn-${db}.${cluster.namespace}.svc`);
    }
    const text = JSON.stringify(objects);
    expect(text).not.toMatch(/tcp:\$\(/);
    const manager = find(objects, 'Deployment', 'kcloud-manager').spec?.template?.spec;
    expect(manager?.containers[0]?.args).toEqual(
      expect.arrayContaining([
        `--ovn-nb=${memberAddresses('nb')}`,
        '--ovn-nb-key=/etc/kcloud/ovn-tls/tls.key',
        '--ovn-nb-cert=/etc/kcloud/ovn-tls/tls.crt',
        '--ovn-nb-ca=/etc/kcloud/ovn-tls/ca.crt',
        `--ovn-nb-server-name=kcloud-ovn-nb.${cluster.namespace}.svc`,
      ]),
    );
    expect(text).toContain(`"name":"OVN_SB_DB","value":"${memberAddresses('sb')}"`);
  });

  it('keeps the CA and the certificates of an earlier install on upgrade (lookup)', async () => {
    const release = `tls-${randomBytes(3).toString('hex')}`;
    const first = secrets((await render(release)).objects);
    // As an install leaves them: owned by the release, which Helm checks before it adopts one.
    const owned = {
      'meta.helm.sh/release-name': release,
      'meta.helm.sh/release-namespace': cluster.namespace,
    };
    const applied = await cluster.kubectl(
      ['apply', '-n', cluster.namespace, '-f', '-'],
      Object.values(first)
        .map((o) => JSON.stringify({ ...o, metadata: { ...o.metadata, annotations: owned } }))
        .join('\n'),
    );
    expect(applied.stderr).toBe('');
    // `--dry-run=server` lets the templates look up what the cluster holds, as an upgrade does.
    const again = secrets((await render(release, [], ['--dry-run=server'])).objects);
    for (const part of Object.keys(first)) {
      expect(`${part} ${JSON.stringify(again[part]?.data)}`).toBe(
        `${part} ${JSON.stringify(first[part]?.data)}`,
      );
    }
    // A certificate deleted by hand is issued again by the same CA.
    await cluster.kubectl([
      'delete',
      'secret',
      '-n',
      cluster.namespace,
      `${release}-kcloud-ovn-tls-host`,
    ]);
    const reissued = secrets((await render(release, [], ['--dry-run=server'])).objects);
    expect(reissued.host?.data['tls.crt']).not.toBe(first.host?.data['tls.crt']);
    expect(certOf(reissued.host as TlsSecret).verify(certOf(first.ca as TlsSecret).publicKey)).toBe(
      true,
    );
    expect(reissued.ca?.data).toEqual(first.ca?.data);
  });

  it('asks cert-manager for the certificates where its CRDs exist, and refuses without them', async () => {
    const missing = await helm(cluster.kubeconfigPath, [
      'template',
      'kcloud',
      chartDir,
      '--set',
      'ovn.tls.issuer=cert-manager',
    ]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('ovn.tls.issuer=cert-manager needs cert-manager installed');
    const { objects } = await render(
      'kcloud',
      ['ovn.tls.issuer=cert-manager'],
      ['--api-versions', 'cert-manager.io/v1/Certificate'],
    );
    expect(objects.some((o) => o.kind === 'Secret')).toBe(false);
    // The OVN databases' (the quota webhook's come with cert-manager too, tested above).
    const certs = objects.filter(
      (o) => o.kind === 'Certificate' && o.metadata.name.startsWith('kcloud-ovn-'),
    ) as unknown as {
      metadata: { name: string };
      spec: { secretName: string; isCA?: boolean; usages?: string[]; dnsNames?: string[] };
    }[];
    expect(certs.map((c) => c.spec.secretName).sort()).toEqual([
      'kcloud-ovn-tls-ca',
      'kcloud-ovn-tls-central',
      'kcloud-ovn-tls-host',
      'kcloud-ovn-tls-manager',
    ]);
    const usage = (part: string) =>
      certs.find((c) => c.spec.secretName === `kcloud-ovn-tls-${part}`)?.spec.usages;
    // The members are one another's clients too (Raft), and ovn-northd theirs.
    expect(usage('central')).toEqual(expect.arrayContaining(['server auth', 'client auth']));
    expect(usage('manager')).toContain('client auth');
    expect(usage('host')).toContain('client auth');
    expect(
      objects
        .filter((o) => o.kind === 'Issuer' && o.metadata.name.startsWith('kcloud-ovn-'))
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['kcloud-ovn-ca', 'kcloud-ovn-selfsigned']);
  });

  it('admits to OVN central only the manager (northbound, and southbound for the slb operator) and the hosts (southbound)', async () => {
    interface Policy {
      spec: {
        policyTypes: string[];
        ingress: {
          from: {
            podSelector?: { matchLabels: Record<string, string> };
            ipBlock?: { cidr: string };
          }[];
          ports: { port: string }[];
        }[];
        egress: {
          to?: {
            podSelector?: { matchLabels: Record<string, string> };
            ipBlock?: { cidr: string };
          }[];
          ports: { port: string | number; protocol: string }[];
        }[];
      };
    }
    const policy = async (set: string[]) =>
      find(
        (await render('kcloud', set)).objects,
        'NetworkPolicy',
        'kcloud-ovn-central',
      ) as unknown as Policy;
    const component = (p: { podSelector?: { matchLabels: Record<string, string> } }) =>
      p.podSelector?.matchLabels['app.kubernetes.io/component'];

    const hosts = await policy([
      'ovn.central.networkPolicy.hostCIDRs={192.0.2.0/24,198.51.100.0/24}',
    ]);
    expect(hosts.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    const members = ['nb', 'sb', 'raft-nb', 'raft-sb'];
    // Out: only to the other members, and DNS (by which they find one another).
    expect(
      hosts.spec.egress.map((r) => ({
        to: r.to?.map((p) => component(p) ?? p.ipBlock?.cidr) ?? 'anywhere',
        ports: r.ports.map((p) => `${String(p.port)}/${p.protocol}`),
      })),
    ).toEqual([
      { to: ['ovn-central'], ports: members.map((p) => `${p}/TCP`) },
      { to: 'anywhere', ports: ['53/UDP', '53/TCP'] },
    ]);
    expect(
      hosts.spec.ingress.map((r) => ({
        from: r.from.map((p) => component(p) ?? p.ipBlock?.cidr),
        ports: r.ports.map((p) => p.port),
      })),
    ).toEqual([
      { from: ['ovn-central'], ports: members },
      { from: ['manager'], ports: ['nb', 'sb'] },
      { from: ['192.0.2.0/24', '198.51.100.0/24'], ports: ['sb'] },
    ]);
    // A manager without the slb operator reads nothing from the southbound database.
    const vpcOnly = await policy([
      'manager.operators=vpc',
      'ovn.central.networkPolicy.hostCIDRs={192.0.2.0/24}',
    ]);
    expect(vpcOnly.spec.ingress[1]?.ports.map((p) => p.port)).toEqual(['nb']);
    const managerArgs = async (set: string[]) =>
      find((await render('kcloud', set)).objects, 'Deployment', 'kcloud-manager').spec?.template
        ?.spec.containers[0]?.args ?? [];
    expect(await managerArgs([])).toContain(`--ovn-sb=${memberAddresses('sb')}`);
    expect((await managerArgs(['manager.operators=vpc'])).join(' ')).not.toContain('--ovn-sb');
    const podNetwork = await policy(['ovn.host.hostNetwork=false']);
    expect(podNetwork.spec.ingress[2]?.from.map(component)).toEqual(['ovn-host']);
    const off = await render('kcloud', ['ovn.central.networkPolicy.enabled=false']);
    expect(off.objects.some((o) => o.kind === 'NetworkPolicy')).toBe(false);
    // `helm upgrade --reuse-values` from a release without these values: TLS and the policy.
    const older = await render('kcloud', ['ovn.tls=null', 'ovn.central.networkPolicy=null']);
    expect(Object.keys(secrets(older.objects)).sort()).toEqual([
      'ca',
      'central',
      'host',
      'manager',
    ]);
    expect(older.objects.filter((o) => o.kind === 'NetworkPolicy')).toHaveLength(1);
    const bad = await helm(cluster.kubeconfigPath, [
      'template',
      'kcloud',
      chartDir,
      '--set',
      'ovn.central.networkPolicy.hostCIDRs={10.0.0.1}',
    ]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('hostCIDRs');
  });
});
