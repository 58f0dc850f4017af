// How the documentation test treats each command it finds. Everything not listed here runs.
//
// A command that cannot run on this machine is listed in `notRunHere` with the reason, so a new
// command in the docs either runs or is named here: nothing is skipped silently. A rule that no
// longer matches any command fails the test too, so the list stays short and true.

export interface NotRunRule {
  /** The command as it starts, after leading VAR=value assignments. */
  command: RegExp;
  reason: string;
}

export const notRunHere: readonly NotRunRule[] = [
  {
    command: /^helm\s/,
    reason:
      'installs into a real cluster from a registry; test/cluster/chart.test.ts installs, upgrades and uninstalls the chart on a real node',
  },
  {
    command: /^skopeo\s/,
    reason: 'pushes to a remote registry (registry.example.com), which the test must not reach',
  },
  {
    command: /^ctr\s/,
    reason:
      "needs a containerd socket; the cluster tier imports the images into its node's containerd",
  },
  {
    command: /^kubectl (-n\s+\S+\s+)?exec\s/,
    reason:
      "runs a command in a pod of an installed release; test/cluster/chart.test.ts execs into the chart's pods",
  },
  {
    command: /^ovs-dpctl\s/,
    reason: "changes the host kernel's Open vSwitch datapaths",
  },
  {
    command: /^modprobe\s/,
    reason: 'loads a kernel module into the host',
  },
  {
    command: /^hack\/localcluster\/gen-gomod\.sh\s/,
    reason:
      'rewrites the go.mod files from the Go module proxy (then make setup rebuilds for minutes)',
  },
  {
    command: /^npm run generate\s*$/,
    reason:
      'rewrites crds/ and the chart in the work tree; `npm run generate -- --check` runs instead',
  },
  {
    command: /^npm ci\s*$/,
    reason: 'reinstalls node_modules under the running tests',
  },
  {
    command: /^node hack\/images\/cli\.ts build\s/,
    reason:
      'builds all three images (its flags are checked here); hack/images/images.int.test.ts runs the build',
  },
  {
    command: /^node \/opt\/kcloud\//,
    reason: "a path inside kcloud's images, not in the work tree",
  },
  {
    command: /^node (--expose-gc )?bench\//,
    reason: 'a benchmark: minutes of both cores (make bench runs it and writes docs/benchmarks.md)',
  },
  {
    command: /^kubectl get (auditrecords(\s|$)|--raw '\/apis\/audit\.kcloud\.io\/)/,
    reason:
      'reads the audit API, which the manager of make demo serves and the test cluster has not; test/integration/platform/audit-api.test.ts runs these forms against a served audit API',
  },
  // Inline code that names a command or one of its forms in a sentence, not a whole command line.
  {
    command:
      /^kubectl (apply|get|describe|explain|auth can-i|rollout restart|wait --for=condition=Ready)$/,
    reason: 'names a kubectl command in a sentence; the complete forms run',
  },
  { command: /^go build$/, reason: 'names the Go build in a sentence' },
  { command: /^hack\/ovn\.sh guest( add)?$/, reason: 'names the guest command in a sentence' },
  { command: /^apt-get download$/, reason: 'names the apt-get command in a sentence' },
  { command: /^node -e$/, reason: 'names a node option in a sentence' },
];

/**
 * Commands the documentation shows failing on purpose, with what it says: they must fail (any
 * exit code but 0), or the text around them is no longer true.
 */
export const expectedToFail: readonly NotRunRule[] = [
  {
    command: /^hack\/ovn\.sh guest exec \S+ -- ping -c 1 -W 1 /,
    reason: 'docs/vpc.md: a ping into an interface in no SecurityGroup gets no answer',
  },
];

/** Values for the <placeholders> of a command, as a user would fill them in. */
export const placeholders: Readonly<Record<string, string>> = {
  '<kind>': 'vpc',
};

/**
 * The namespace the demo's samples are in (`default`): here they are in the test's namespace,
 * so `default/demo-web-1` becomes `<test namespace>/demo-web-1`.
 */
export const demoNamespace = 'default';

/** Make variables that pass flags to a kcloud program: their flags must be the program's. */
export const makeFlagVariables: Readonly<Record<string, string>> = {
  MANAGER_FLAGS: 'operators/manager/main.ts',
  AGENT_FLAGS: 'agent/main.ts',
};

/**
 * A span or line that shows a command's synopsis rather than a command: alternatives,
 * optional parts or a placeholder without a value here. Only its program and flags are checked.
 */
export function isSynopsis(text: string): boolean {
  // Quoted words are arguments (JSON, jsonpath), not synopsis syntax.
  const bare = (text.split('\n')[0] ?? '').replace(/'[^']*'|"[^"]*"/g, "''");
  return (
    /\[[^\]]*\]/.test(bare) ||
    /\s\|\s/.test(bare) ||
    /\w\|\w/.test(bare) ||
    /\.\.\.|…/.test(bare) ||
    /<[A-Za-z][\w-]*>/.test(bare)
  );
}

/** API groups of YAML examples that are not applied: their CRDs are not kcloud's. */
export const foreignGroups: readonly { group: RegExp; reason: string }[] = [
  {
    group: /\.toolkit\.fluxcd\.io$/,
    reason: "Flux's CRDs are not installed in the test cluster",
  },
  { group: /^argoproj\.io$/, reason: "Argo CD's CRDs are not installed in the test cluster" },
];

/**
 * Namespaces the commands name that an installation would already have; the test creates them
 * (with the objects listed) before it runs the commands.
 */
export const expectedNamespaces: Readonly<Record<string, string[]>> = {
  // Where hosts heartbeat (the chart creates it): `node agent/main.ts` renews its Lease there.
  'kcloud-hosts': [],
  // Argo CD's own ConfigMap, which `kubectl -n argocd patch configmap argocd-cm` changes.
  argocd: ['apiVersion: v1\nkind: ConfigMap\nmetadata: {name: argocd-cm}\n'],
};
