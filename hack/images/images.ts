// kcloud's container images, built without a container engine or a registry: the manager and the
// agent (Node.js 24 and the compiled application on Debian's libc) and OVN/Open vSwitch (Debian's
// packages and an entry script), each written as a docker-archive.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot } from '../cluster/layout.ts';
import { candidates, fetchDebs, resolvePackages, type Deb } from './apt.ts';
import { sha256File, writeArchive, writeLayer, type ImageConfig, type Layer } from './archive.ts';
import { entrypoints, nodeBinary, productionModules, sourcesHash, stageApp } from './app.ts';
import { checkNeeded, type CheckOptions } from './elf.ts';
import { addSkeleton, extractDebs, mergeUsr, placeFile, pruneDocs } from './rootfs.ts';
import { withPidLock } from '../cluster/pid-lock.ts';
import { imageTag, validRegistry, validTag } from './tag.ts';

export type ImageName = 'kcloud-manager' | 'kcloud-agent' | 'kcloud-ovn';

export interface BuiltImage {
  name: ImageName;
  /** `<registry>/<name>:<tag>` */
  ref: string;
  /** The docker-archive: `ctr images import` or `skopeo copy docker-archive:` reads it. */
  archive: string;
  bytes: number;
  /** False when the archive of an earlier build had the same inputs and was kept. */
  built: boolean;
}

export interface BuildOptions {
  outDir: string;
  /** A domain of our own by default, so a ref never names an image of a real registry. */
  registry?: string;
  /** `imageTag()` by default. */
  tag?: string;
  /** Where .debs and node_modules are kept between builds; `.local/cache` by default. */
  cacheDir?: string;
  log?: (line: string) => void;
}

export const defaultRegistry = 'kcloud.local';
export const defaultCacheDir = path.join(repoRoot, '.local', 'cache');

/** Written by hand, not built: starts the one OVN or Open vSwitch daemon its argument names. */
export const ovnEntryScript = path.join(repoRoot, 'hack', 'images', 'ovn', 'kcloud-ovn.sh');

/** Node.js needs nothing else from Debian: no shell, no CA bundle (it carries its own). */
const nodeRuntimePackages = ['libc6', 'libstdc++6', 'libgcc-s1'];

/**
 * OVN's daemons and tools, a shell and the tools the entry script and ovs/ovn-ctl call (sed,
 * grep and awk among them).
 */
const ovnPackages = [
  'ovn-central',
  'ovn-host',
  'openvswitch-switch',
  'openvswitch-common',
  'ovn-common',
  'dash',
  'bash',
  'coreutils',
  'procps',
  'iproute2',
  'sed',
  'grep',
  'mawk',
  // Only recommended by iproute2, but its tc plugin for ATM queues links against it.
  'libatm1',
];

/**
 * Packages the OVN image never runs: maintainer-script machinery (no scripts run when a root
 * filesystem is staged), Perl and Python (only diagnostics such as ovs-tcpdump and
 * ovs-bugtool use them; lsb_release is one, and ovs-ctl reads /etc/os-release without it),
 * modprobe (a container loads no kernel modules) and the openssl command (only ovs-pki).
 * Leaving them out is checked: every ELF file must still find what it needs.
 */
const neverRun =
  /^(perl|perl-base|perl-modules-[\d.]+|libperl[\d.]+|lib.+-perl|python3(\.\d+)?(-.+)?|libpython3.*|debconf|cdebconf|debconf-2\.0|init-system-helpers|usrmerge|usr-is-merged|adduser|passwd|dpkg|lsb-release|kmod|openssl|media-types)$/;

/**
 * Names the packages' maintainer scripts would have pointed at their programs (through
 * update-alternatives); without them there is no awk and no ovs-vswitchd on the PATH.
 */
const ovnAlternatives = {
  'usr/bin/awk': 'mawk',
  'usr/sbin/ovs-vswitchd': '/usr/lib/openvswitch-switch/ovs-vswitchd',
};

const env = (extra: string[]) => [
  'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  ...extra,
];

const appConfig = (main: string): ImageConfig => ({
  entrypoint: ['/usr/local/bin/node', `/opt/kcloud/${main}`],
  env: env(['NODE_ENV=production']),
  workingDir: '/opt/kcloud',
});

const ovnConfig: ImageConfig = {
  entrypoint: ['/usr/local/bin/kcloud-ovn'],
  env: env([]),
  workingDir: '/',
};

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** The build's own code: a change to how images are made changes every image's inputs. */
async function recipeHash(): Promise<string> {
  const dir = path.join(repoRoot, 'hack', 'images');
  const files = (await readdir(dir))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .sort();
  const hash = createHash('sha256');
  for (const f of files) hash.update(`${f}\0`).update(await readFile(path.join(dir, f)));
  return hash.digest('hex');
}

async function debsFor(
  roots: string[],
  exclude: (name: string) => boolean,
): Promise<{ debs: Deb[]; dropped: string[] }> {
  const closure = await resolvePackages(roots, { exclude });
  return { debs: await candidates(closure.packages), dropped: closure.dropped };
}

/** Each archive's inputs, hashed, sit next to it; an archive whose stamp matches is kept. */
const stampOf = (archive: string) => `${archive}.stamp`;

async function upToDate(archive: string, inputs: string): Promise<boolean> {
  if (!existsSync(archive)) return false;
  try {
    return (await readFile(stampOf(archive), 'utf8')).trim() === inputs;
  } catch {
    return false;
  }
}

interface ImagePlan {
  name: ImageName;
  ref: string;
  archive: string;
  config: ImageConfig;
  inputs: string;
}

/** One root filesystem, one layer, and the images that share it. */
interface LayerPlan {
  images: ImagePlan[];
  /** What goes in, for the build's log. */
  contents: string;
  stage: (root: string) => Promise<void>;
  check: CheckOptions;
}

async function buildLayer(
  plan: LayerPlan,
  outDir: string,
  log: (line: string) => void,
): Promise<BuiltImage[]> {
  const kept = await Promise.all(plan.images.map((i) => upToDate(i.archive, i.inputs)));
  if (kept.every(Boolean)) {
    return Promise.all(
      plan.images.map(async (i) => ({
        name: i.name,
        ref: i.ref,
        archive: i.archive,
        bytes: (await stat(i.archive)).size,
        built: false,
      })),
    );
  }
  log(`${plan.images.map((i) => i.name).join(', ')}: ${plan.contents}`);
  const work = await mkdtemp(path.join(outDir, '.build-'));
  try {
    const root = path.join(work, 'rootfs');
    const started = Date.now();
    await plan.stage(root);
    const checked = await checkNeeded(root, plan.check);
    const layer: Layer = await writeLayer(root, path.join(work, 'layer.tar'));
    // The staged tree is no longer needed; the layer holds it.
    await rm(root, { recursive: true, force: true });
    log(
      `layer sha256:${layer.digest.slice(0, 12)} ${mib(layer.bytes)} (${checked} ELF files checked) ` +
        `in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    const built: BuiltImage[] = [];
    for (const image of plan.images) {
      await rm(stampOf(image.archive), { force: true });
      const bytes = await writeArchive(image.ref, layer, image.config, image.archive);
      await writeFile(stampOf(image.archive), `${image.inputs}\n`);
      built.push({ name: image.name, ref: image.ref, archive: image.archive, bytes, built: true });
    }
    return built;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** What a build stopped halfway (Ctrl-C) left; only called with the folder's lock held. */
async function removeLeftovers(outDir: string): Promise<void> {
  for (const entry of await readdir(outDir)) {
    if (/^\.(build|archive)-|\.partial$/.test(entry)) {
      await rm(path.join(outDir, entry), { recursive: true, force: true });
    }
  }
}

export const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/**
 * Builds kcloud-manager, kcloud-agent (one shared layer, stored once by containerd) and
 * kcloud-ovn into `outDir` as `<name>.tar`. An image whose inputs (the .debs, the Node.js
 * binary, the lock file, the application's sources, the entry script, the tag) are unchanged
 * since the last build into the same folder is not built again.
 */
export async function buildImages(options: BuildOptions): Promise<BuiltImage[]> {
  const log = options.log ?? (() => undefined);
  const registry = options.registry ?? defaultRegistry;
  const tag = options.tag ?? (await imageTag());
  if (!validRegistry(registry)) throw new Error(`not a registry name: ${registry}`);
  if (!validTag(tag)) throw new Error(`not an image tag: ${tag}`);
  const cacheDir = options.cacheDir ?? defaultCacheDir;
  const outDir = path.resolve(options.outDir);
  await mkdir(outDir, { recursive: true });
  if (!existsSync(nodeBinary)) throw new Error(`${nodeBinary} is missing: run \`make setup\``);
  if (!existsSync(ovnEntryScript)) {
    throw new Error(`${ovnEntryScript} is missing: the kcloud-ovn image's entrypoint`);
  }
  const debCache = path.join(cacheDir, 'debs');
  const cached = <T>(fn: () => Promise<T>) =>
    withPidLock(path.join(cacheDir, '.lock'), fn, {
      onWait: (pid) => {
        log(`waiting for pid ${String(pid)}, which is filling the cache ${cacheDir}`);
      },
    });
  const recipe = await recipeHash();
  const ref = (name: ImageName) => `${registry}/${name}:${tag}`;
  const archive = (name: ImageName) => path.join(outDir, `${name}.tar`);

  const nodeDebs = await debsFor(nodeRuntimePackages, () => false);
  const ovnDebs = await debsFor(ovnPackages, (n) => neverRun.test(n));
  const lock = await readFile(path.join(repoRoot, 'package-lock.json'));
  const lockHash = sha256(lock);
  const appInputs = sha256(
    JSON.stringify({
      recipe,
      debs: nodeDebs.debs.map((d) => d.file),
      node: await sha256File(nodeBinary),
      lock: lockHash,
      packageJson: sha256(await readFile(path.join(repoRoot, 'package.json'))),
      sources: await sourcesHash(),
    }),
  );
  const ovnInputs = sha256(
    JSON.stringify({
      recipe,
      debs: ovnDebs.debs.map((d) => d.file),
      script: sha256(await readFile(ovnEntryScript)),
    }),
  );
  const plan = (name: ImageName, config: ImageConfig, inputs: string): ImagePlan => ({
    name,
    ref: ref(name),
    archive: archive(name),
    config,
    inputs: sha256(JSON.stringify({ inputs, ref: ref(name), config })),
  });

  const app: LayerPlan = {
    images: [
      plan('kcloud-manager', appConfig(entrypoints['kcloud-manager']), appInputs),
      plan('kcloud-agent', appConfig(entrypoints['kcloud-agent']), appInputs),
    ],
    contents: `${nodeDebs.debs.length} Debian packages, Node.js, the application, its node_modules`,
    check: { addonDirs: ['/opt/kcloud/node_modules'] },
    stage: async (root) => {
      const [debs, modules] = await cached(async () => [
        await fetchDebs(debCache, nodeDebs.debs),
        await productionModules(path.join(cacheDir, 'node-modules'), lockHash),
      ]);
      await extractDebs(root, debs);
      await pruneDocs(root);
      await mergeUsr(root);
      await addSkeleton(root);
      await stageApp(root, modules);
    },
  };
  const ovn: LayerPlan = {
    images: [plan('kcloud-ovn', ovnConfig, ovnInputs)],
    contents:
      `${ovnDebs.debs.length} Debian packages (${ovnDebs.dropped.length} dependencies on ` +
      'packages never run left out), the entry script',
    check: {},
    stage: async (root) => {
      await extractDebs(root, await cached(() => fetchDebs(debCache, ovnDebs.debs)));
      await pruneDocs(root);
      await mergeUsr(root);
      await addSkeleton(root);
      for (const [link, target] of Object.entries(ovnAlternatives)) {
        await symlink(target, path.join(root, link));
      }
      await placeFile(ovnEntryScript, path.join(root, 'usr', 'local', 'bin', 'kcloud-ovn'), 0o755);
    },
  };
  return withPidLock(
    path.join(outDir, '.lock'),
    async () => {
      await removeLeftovers(outDir);
      const built: BuiltImage[] = [];
      for (const layer of [app, ovn]) built.push(...(await buildLayer(layer, outDir, log)));
      return built;
    },
    {
      onWait: (pid) => {
        log(`waiting for pid ${String(pid)}, which is building into ${outDir}`);
      },
    },
  );
}
