// Every command line README.md and docs/*.md show, run as a user would run it from a checkout,
// against the real test cluster with the samples and the docs' own YAML applied and reconciled
// by the vpc operator on a real OVN: shell blocks as scripts, inline commands one by one, YAML
// examples through the API server (server-side dry-run). kcloud-manager and kcloud-agent start,
// become ready and stop; make targets must exist (`make -n`). A command that cannot run here is
// listed in command-rules.ts with the reason; a failure names the file and line.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '../../../hack/cluster/index.ts';
import {
  connection,
  down,
  instanceVars,
  ovnLayout,
  readState,
  up,
  type OvnLayout,
} from '../../../hack/ovn/index.ts';
import { addEipOperator } from '../../../operators/eip/index.ts';
import { addTenantAccessController } from '../../../operators/platform/access/index.ts';
import { addPlatformOperator } from '../../../operators/platform/index.ts';
import { addSlbOperator } from '../../../operators/slb/index.ts';
import { statusCode, tempDir, useTestCluster, waitFor } from '../../harness/index.ts';
import { demoHost } from '../../../hack/demo/agent-access.ts';
import { prepareDemoHostRoot } from '../../../hack/demo/host-root.ts';
import { guestReady, listInstances, stopVms, vmFlags } from '../../../hack/demo/instances.ts';
import { addDeploymentSetController, addInstanceController } from '../../../operators/ecs/index.ts';
import { startEvsWorld, type EvsWorld } from '../evs/evs-fixture.ts';
import { useVpcDataPlane } from '../vpc/dataplane-fixture.ts';
import {
  expectedNamespaces,
  expectedToFail,
  foreignGroups,
  isSynopsis,
  makeFlagVariables,
  notRunHere,
} from './command-rules.ts';
import {
  documentationFiles,
  documentationSnippets,
  type ShellSnippet,
  type Snippet,
  type YamlSnippet,
} from './markdown-commands.ts';
import { declaredFlags, programSource, programsIn } from './program-flags.ts';
import { makeSandbox, runScript, type Sandbox } from './sandbox.ts';
import {
  bashScript,
  failedLine,
  fillPlaceholders,
  mustFailRule,
  notRunRule,
  scriptLines,
} from './shell-script.ts';

const cluster = useTestCluster('docs');
// The ECS samples' instances go first, while the agent that stops their VMs runs and their taps'
// data plane is up (afterAll hooks run in the order they are declared: this one before the
// data plane's).
afterAll(async () => {
  if (!evs) return;
  const r = await cluster.kubectl([
    'delete',
    'instances.ecs.kcloud.io',
    '--all',
    '-n',
    // The test's namespace is being deleted by now: its name was kept.
    testNamespace,
    '--timeout=180s',
  ]);
  if (r.code !== 0) throw new Error(`deleting the instances: ${r.stderr}`);
}, 300_000);
// The samples' OVN runs its data plane: the docs plug guests into it (hack/ovn.sh guest).
const ovn = useVpcDataPlane(cluster);

let snippets: Snippet[];
let sandbox: Sandbox;
let sandboxCleanup: (() => Promise<void>) | undefined;
let daemonOvn: OvnLayout | undefined;
let evs: EvsWorld | undefined;
const daemonNamespace = () => `${cluster.namespace}-run`;
let testNamespace = '';
const createdNamespaces: string[] = [];

interface KcloudObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; generation?: number };
  status?: {
    observedGeneration?: number;
    conditions?: { type: string; status: string; observedGeneration?: number }[];
  };
}

const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0] : '');
const isKcloud = (o: { apiVersion: string }) =>
  (groupOf(o.apiVersion) ?? '').endsWith('.kcloud.io');

async function samples(): Promise<string[]> {
  const out: string[] = [];
  const operators = path.join(repoRoot, 'operators');
  for (const op of await readdir(operators)) {
    const dir = path.join(operators, op, 'samples');
    const files = await readdir(dir).catch(() => [] as string[]);
    for (const f of files.filter((n) => /\.ya?ml$/.test(n)).sort()) {
      out.push(await readFile(path.join(dir, f), 'utf8'));
    }
  }
  return out;
}

function objectsOf(yamlText: string): KcloudObject[] {
  return parseAllDocuments(yamlText)
    .map((d) => d.toJS() as KcloudObject | null)
    .filter((o): o is KcloudObject => o !== null && typeof o === 'object');
}

async function ensureNamespace(name: string): Promise<void> {
  try {
    await cluster.core.createNamespace({ body: { metadata: { name } } });
    createdNamespaces.push(name);
  } catch (err) {
    if (statusCode(err) !== 409) throw err;
  }
}

/** Ready for its current generation: what the docs' waits and gets expect to find. */
async function waitReconciled(o: KcloudObject): Promise<void> {
  let last = '';
  await waitFor(
    async () => {
      const got = (await cluster.read({
        apiVersion: o.apiVersion,
        kind: o.kind,
        name: o.metadata.name,
        ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
      })) as unknown as KcloudObject;
      const ready = got.status?.conditions?.find((c) => c.type === 'Ready');
      last = JSON.stringify(got.status ?? null);
      return ready?.status === 'True' && got.status?.observedGeneration === got.metadata.generation;
    },
    {
      what: `${o.kind} ${o.metadata.name} Ready for its generation`,
      describe: () => last,
      timeoutMs: 120_000,
    },
  );
}

beforeAll(async () => {
  snippets = await documentationSnippets(repoRoot);
  await ensureNamespace(daemonNamespace());
  for (const [ns, objects] of Object.entries(expectedNamespaces)) {
    await ensureNamespace(ns);
    for (const o of objects) {
      const r = await cluster.kubectl(['apply', '--server-side', '-n', ns, '-f', '-'], o);
      if (r.code !== 0) throw new Error(`applying a fixture in ${ns}: ${r.stderr}`);
    }
  }
  // The kcloud manager and agent the docs start get an OVN of their own.
  daemonOvn = ovnLayout(await mkdtemp(path.join(repoRoot, '.local', 'test-runs', 'docs-ovn-')));
  await up(daemonOvn, { dataPlane: false });

  const t = await tempDir('docs-sandbox');
  sandboxCleanup = t.cleanup;
  sandbox = await makeSandbox(t.dir, cluster.kubeconfigPath, cluster.namespace);

  // The samples and the docs' kcloud objects, reconciled, as after `make demo` and a user's
  // `kubectl apply` of the examples.
  const docObjects = snippets
    .filter((s): s is YamlSnippet => s.kind === 'yaml')
    .flatMap((s) => objectsOf(s.text))
    .filter(isKcloud);
  const all = [...(await samples()).flatMap(objectsOf), ...docObjects];
  // EVS: the manager's placement and the demo's host, whose agent makes the volumes the
  // samples and the docs show (the samples import a file from that host).
  // ECS: the samples' instances boot as VMs on that host, their taps in the samples' data plane.
  // EIP: the docs' pools and EIPs on the samples' OVN, gateways on its chassis.
  // SLB: the docs' LoadBalancers on the same OVN.
  // Platform: the docs' tenants, projects and quotas, counted.
  const ovnConnection = await connection(ovn.layout());
  const nbUnix = ovnConnection.nb.unix;
  const gatewayChassis = [(await readState(ovn.layout()))?.options.chassis ?? ''];
  evs = await startEvsWorld(cluster, 1, {
    hosts: [demoHost],
    prepareRoot: prepareDemoHostRoot,
    controllers: (mgr) => {
      addEipOperator(mgr, { nbEndpoints: [nbUnix], gatewayChassis });
      // docs/slb.md's LoadBalancers, their health read from the southbound database.
      addSlbOperator(mgr, { nbEndpoints: [nbUnix], sbEndpoints: [ovnConnection.sb.unix] });
      addInstanceController(mgr, {
        policy: 'Spread',
        hostsNamespace: `${cluster.namespace}-hosts`,
      });
      addDeploymentSetController(mgr);
      // docs/platform.md's tenants, projects and quotas; no webhook: nothing here is refused.
      addPlatformOperator(mgr, { webhook: undefined });
      // docs/tenant-access.md's TenantRoleBinding, bound in its tenant's projects.
      addTenantAccessController(mgr);
    },
    agentArgs: await vmFlags(ovn.layout()),
  });
  for (const o of all) {
    const r = await cluster.kubectl(
      ['apply', '--server-side', '-n', o.metadata.namespace ?? cluster.namespace, '-f', '-'],
      JSON.stringify(o),
    );
    if (r.code !== 0) throw new Error(`applying ${o.kind} ${o.metadata.name}: ${r.stderr}`);
  }
  for (const o of all) await waitReconciled(o);
  // The instances' guests up and listening, as `make demo` leaves them (it waits for that).
  testNamespace = cluster.namespace;
  await waitFor(
    async () => {
      const mine = ((await listInstances(cluster.kubeconfigPath)) ?? []).filter(
        (i) => i.namespace === testNamespace,
      );
      return mine.length > 0 && (await Promise.all(mine.map(guestReady))).every(Boolean);
    },
    { what: 'the ECS samples’ guests to say they are ready', timeoutMs: 300_000 },
  );
}, 600_000);

afterAll(async () => {
  // What the run started is stopped even when deleting the samples fails (that failure is
  // still the test's): an OVN left running would outlive the run.
  try {
    if (evs) {
      const clusterScoped = (await samples())
        .flatMap(objectsOf)
        .filter(
          (o) => o.metadata.namespace === undefined && groupOf(o.apiVersion) === 'evs.kcloud.io',
        )
        .filter((o) => o.kind === 'StoragePool' || o.kind === 'VolumeType')
        .map((o) => `${o.kind.toLowerCase()}s.evs.kcloud.io/${o.metadata.name}`);
      try {
        await evs.deleteAll(clusterScoped);
      } finally {
        await evs.stop();
        // A VM whose instance could not be deleted: QEMU outlives its agent.
        await stopVms(path.join(evs.roots[demoHost] ?? '', 'state'), () => undefined);
      }
    }
  } finally {
    if (daemonOvn) {
      await down(daemonOvn, { purge: true });
      await rm(daemonOvn.runDir, { recursive: true, force: true });
    }
    await sandboxCleanup?.();
    for (const ns of createdNamespaces) {
      await cluster.core.deleteNamespace({ name: ns }).catch(() => undefined);
    }
  }
});

interface Failure {
  where: string;
  command: string;
  error: string;
}

const tail = (s: string, n = 12) => s.trim().split('\n').slice(-n).join('\n');

/** Static checks of every command line, run or not: its programs exist and take its flags. */
async function checkPrograms(
  file: string,
  lines: { line: number; text: string }[],
): Promise<Failure[]> {
  const failures: Failure[] = [];
  for (const l of lines) {
    for (const m of l.text.matchAll(/\b([A-Z_]+_FLAGS)=('[^']*'|"[^"]*"|\S+)/g)) {
      const program = makeFlagVariables[m[1] ?? ''];
      if (!program) continue;
      const declared = await declaredFlags(repoRoot, program);
      const unknown = [...(m[2] ?? '').matchAll(/--([a-z][a-z0-9-]*)/g)]
        .map((f) => f[1] ?? '')
        .filter((f) => !declared.has(f));
      if (unknown.length > 0) {
        failures.push({
          where: `${file}:${String(l.line)}`,
          command: l.text,
          error: `${m[1] ?? ''}: ${program} takes no ${unknown.map((f) => `--${f}`).join(', ')}`,
        });
      }
    }
    for (const { program, flags } of programsIn(l.text)) {
      const where = `${file}:${String(l.line)}`;
      if (!(await programSource(repoRoot, program))) {
        failures.push({ where, command: l.text, error: `${program} does not exist` });
        continue;
      }
      const declared = await declaredFlags(repoRoot, program);
      const unknown = flags.filter((f) => !declared.has(f));
      if (unknown.length > 0) {
        failures.push({
          where,
          command: l.text,
          error: `${program} takes no ${unknown.map((f) => `--${f}`).join(', ')}`,
        });
      }
    }
  }
  return failures;
}

async function runShell(s: ShellSnippet): Promise<{ failures: Failure[]; ran: number }> {
  const failures = await checkPrograms(s.file, s.lines);
  const lines = scriptLines(s.lines, cluster.namespace);
  if (s.source === 'inline' && lines.every((l) => isSynopsis(l.text) || l.notRun)) {
    return { failures, ran: 0 };
  }
  const synopsis = lines.find((l) => !l.notRun && isSynopsis(l.text));
  if (synopsis) {
    failures.push({
      where: `${s.file}:${String(synopsis.line)}`,
      command: synopsis.text,
      error:
        'a placeholder or alternative in a shell block: give a runnable command, a value in placeholders (command-rules.ts), or a not-run rule',
    });
    return { failures, ran: 0 };
  }
  if (lines.every((l) => l.notRun)) return { failures, ran: 0 };
  if (!daemonOvn) throw new Error('the OVN for the documented programs has not started');
  const r = await runScript(sandbox, bashScript(lines), {
    KCLOUD_DOCS_NAMESPACE: cluster.namespace,
    KCLOUD_DOCS_DAEMON_NAMESPACE: daemonNamespace(),
    KCLOUD_DOCS_OVN_NB: `unix:${daemonOvn.nb.socket}`,
    // hack/ovn.sh, ovn-nbctl and ovs-vsctl reach the samples' OVN.
    KCLOUD_OVN_DIR: ovn.layout().runDir,
    ...instanceVars(ovn.layout()),
  });
  if (r.code !== 0) {
    const at = failedLine(r.stderr) ?? s.line;
    const text = s.lines.find((l) => l.line === at)?.text ?? s.lines.map((l) => l.text).join('\n');
    failures.push({
      where: `${s.file}:${String(at)}`,
      command: text,
      error: tail(r.stderr.replace(/@@docs-failed-line \d+\n?/g, '') || r.stdout),
    });
  }
  return { failures, ran: lines.filter((l) => !l.notRun).length };
}

async function dryRunYaml(s: YamlSnippet): Promise<Failure[]> {
  const failures: Failure[] = [];
  for (const o of objectsOf(s.text)) {
    const group = groupOf(o.apiVersion) ?? '';
    if (foreignGroups.some((f) => f.group.test(group))) continue;
    const r = await cluster.kubectl(
      [
        'apply',
        '--server-side',
        '--dry-run=server',
        '-n',
        o.metadata.namespace ?? cluster.namespace,
        '-f',
        '-',
      ],
      JSON.stringify(o),
    );
    if (r.code !== 0) {
      failures.push({
        where: `${s.file}:${String(s.line)}`,
        command: `${o.kind} ${o.metadata.name}`,
        error: r.stderr.trim(),
      });
    }
  }
  return failures;
}

const show = (failures: Failure[]) =>
  failures
    .map((f) => `${f.where}: ${f.command}\n    ${f.error.replaceAll('\n', '\n    ')}`)
    .join('\n');

describe('the command lines of README.md and docs/', () => {
  it('finds the commands it is meant to run', () => {
    const shell = snippets.filter((s) => s.kind === 'shell');
    // The README's own blocks and the guides' commands are there to be found.
    expect(shell.some((s) => s.file === 'README.md' && s.source === 'block')).toBe(true);
    expect(shell.some((s) => s.file === 'docs/vpc.md' && s.source === 'inline')).toBe(true);
    expect(snippets.some((s) => s.kind === 'yaml')).toBe(true);
  });

  it.each(['README.md', 'docs/'])(
    '%s: every command works as shown',
    async (prefix) => {
      const files = (await documentationFiles(repoRoot)).filter((f) => f.startsWith(prefix));
      const failures: Failure[] = [];
      let ran = 0;
      for (const s of snippets.filter((x) => files.includes(x.file))) {
        if (s.kind === 'yaml') failures.push(...(await dryRunYaml(s)));
        else {
          const r = await runShell(s);
          failures.push(...r.failures);
          ran += r.ran;
        }
      }
      console.log(`${prefix}: ${String(ran)} command lines run`);
      expect(show(failures)).toBe('');
    },
    900_000,
  );

  it('names each command it does not run, and every such rule still matches a command', () => {
    const lines = snippets.flatMap((s) =>
      s.kind === 'shell' ? s.lines.map((l) => ({ file: s.file, ...l })) : [],
    );
    const report = lines.flatMap((l) => {
      const where = `${l.file}:${String(l.line)}: ${l.text}`;
      const rule = notRunRule(l.text);
      if (rule) return [`${where}\n    not run: ${rule.reason}`];
      if (isSynopsis(fillPlaceholders(l.text))) {
        return [`${where}\n    a synopsis: its program and flags are checked`];
      }
      return [];
    });
    const foreign = snippets.flatMap((s) =>
      s.kind === 'yaml'
        ? objectsOf(s.text).flatMap((o) => {
            const f = foreignGroups.find((g) => g.group.test(groupOf(o.apiVersion) ?? ''));
            return f
              ? [`${s.file}:${String(s.line)}: ${o.kind}\n    not applied: ${f.reason}`]
              : [];
          })
        : [],
    );
    console.log(`not run here:\n${[...report, ...foreign].join('\n')}`);
    const unused = [
      ...notRunHere.filter((r) => !lines.some((l) => notRunRule(l.text) === r)),
      ...expectedToFail.filter((r) => !lines.some((l) => mustFailRule(l.text) === r)),
    ];
    expect(unused.map((r) => r.command.source)).toEqual([]);
  });
});

describe('the flag tables', () => {
  const tables = [{ program: 'operators/manager/main.ts', doc: 'docs/writing-a-controller.md' }];

  it.each(tables)('$doc documents every flag of $program', async ({ program, doc }) => {
    const text = await readFile(path.join(repoRoot, doc), 'utf8');
    const flags = [...(await declaredFlags(repoRoot, program))];
    expect(flags.length).toBeGreaterThan(5);
    const missing = flags.filter((f) => !new RegExp(`--${f}(?![a-z0-9-])`).test(text));
    expect(missing.map((f) => `--${f}`)).toEqual([]);
  });
});
