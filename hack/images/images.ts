// kcloud's container images, built without a container engine or a registry: the manager (Node.js
// 24 and the compiled application on Debian's libc), the agent (the manager's layer and one more
// with the host tools it runs and the probe guest) and OVN/Open vSwitch (Debian's packages and an
// entry script), each written as a docker-archive.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import { probeGuestManifest, readProbeGuest } from '../../agent/host/hypervisor/index.ts';
import { repoRoot } from '../cluster/layout.ts';
import { toolOutput } from '../cluster/run-tool.ts';
import { guestDir } from '../guest/layout.ts';
import {
  candidates,
  fetchDebs,
  prepareSuite,
  resolvePackages,
  type AptSuite,
  type Deb,
} from './apt.ts';
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
  /** The probe guest the agent image carries; `guestDir()` (.local/guest) by default. */
  probeGuestDir?: string;
  log?: (line: string) => void;
}

export const defaultRegistry = 'kcloud.local';
export const defaultCacheDir = path.join(repoRoot, '.local', 'cache');

/** Written by hand, not built: starts the one OVN or Open vSwitch daemon its argument names. */
export const ovnEntryScript = path.join(repoRoot, 'hack', 'images', 'ovn', 'kcloud-ovn.sh');

/** Node.js needs nothing else from Debian: no shell, no CA bundle (it carries its own). */
const nodeRuntimePackages = ['libc6', 'libstdc++6', 'libgcc-s1'];

/**
 * The OVN image's packages come from Debian trixie (OVN 25.03, Open vSwitch 3.5), through a
 * private apt configuration; the manager and agent images stay on the machine's bookworm.
 */
export const ovnSuite: AptSuite = 'trixie';

/**
 * OVN's daemons and tools, a shell and the tools the entry script and ovs/ovn-ctl call (sed,
 * grep and awk among them), by their trixie names.
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
  // Only recommended by iproute2, but its tc plugin for ATM queues links against it (trixie
  // renamed it for its 64-bit time_t).
  'libatm1t64',
];

/**
 * Packages no image runs: maintainer-script machinery (no scripts run when a root filesystem is
 * staged; trixie's uuid-runtime wants a sysusers program, systemd's or another, only for them), Perl (only diagnostics use it), modprobe (a container loads no kernel modules) and
 * the openssl command (only ovs-pki). Leaving them out is checked: every ELF file must still
 * find what it needs.
 */
const neverRun =
  /^(perl|perl-base|perl-modules-[\d.]+|libperl[\d.]+|lib.+-perl|debconf|cdebconf|debconf-2\.0|init-system-helpers|usrmerge|usr-is-merged|adduser|passwd|dpkg|lsb-release|kmod|openssl|media-types|systemd|systemd-standalone-sysusers|opensysusers)$/;

/**
 * Python, which the OVN image never runs either: only diagnostics such as ovs-tcpdump and
 * ovs-bugtool use it; lsb_release is one, and ovs-ctl reads /etc/os-release without it.
 */
const python = /^(python3(\.\d+)?(-.+)?|libpython3.*)$/;

/**
 * What kcloud-agent runs on its host, by the Debian packages that carry it: qemu-img (file
 * pools, inspecting untrusted images), qemu-system-x86_64 (the hypervisor probe, guests),
 * prlimit, setpriv and nsenter (util-linux: limits on untrusted image reads, QEMU dying with the
 * agent's probe, taps and VMs in br-int's network namespace),
 * mformat and mcopy (mtools: NoCloud seeds), ip (iproute2: taps), the libraries of ovs-vsctl
 * (plugs taps into br-int) and for RBD pools rbd's libraries and the ceph command, a Python
 * program (`ceph df` and `ceph osd pool get-quota` read a pool's capacity).
 */
const agentToolPackages = [
  'qemu-utils',
  'qemu-system-x86',
  'util-linux',
  'mtools',
  'iproute2',
  'libssl3',
  'libunbound8',
  'libxdp1',
  'librbd1',
  'librados2',
  'libboost-program-options1.74.0',
  'libncurses6',
  // Only recommended, but librados's snappy compressor links against it.
  'libsnappy1v5',
  // Only recommended by iproute2, but its tc plugin for ATM queues links against it.
  'libatm1',
  'python3',
  'python3-rados',
  'python3-ceph-argparse',
  'python3-prettytable',
];

/**
 * Files taken from packages whose other programs (and their dependencies: ceph-common's pull in
 * Lua, ICU, LDAP, RabbitMQ and half of Python's packages) the agent never runs. Their
 * libraries are in agentToolPackages; the ELF check proves none is missing.
 */
const agentToolFiles: Record<string, string[]> = {
  'ceph-common': [
    'usr/bin/rbd',
    'usr/bin/ceph',
    // librados loads these when a pool compresses or the cluster asks for them.
    'usr/lib/x86_64-linux-gnu/ceph/compressor',
    'usr/lib/x86_64-linux-gnu/ceph/crypto',
  ],
  // QEMU's rbd block driver: qemu-img and guests open RBD images through it.
  'qemu-block-extra': ['usr/lib/x86_64-linux-gnu/qemu/block-rbd.so'],
  // The Open vSwitch client alone: the daemons run in kcloud-ovn.
  'openvswitch-switch': ['usr/bin/ovs-vsctl'],
};

/**
 * What QEMU's packages bring that a headless x86-64 hypervisor never loads: the display, audio,
 * USB and smartcard modules (with SPICE, GStreamer and Mesa behind them), the i386 and microvm
 * emulators, and other architectures' firmware. The libraries only those needed stay out.
 */
const agentNeverRun = new Set([
  'libspice-server1',
  'libgbm1',
  'libepoxy0',
  'libvirglrenderer1',
  'libasound2',
  'libbrlapi0.8',
  'libsndio7.0',
  'libcacard0',
  'libusbredirparser1',
  'libusb-1.0-0',
]);
/** QEMU's loadable modules the agent keeps; every other one is removed. */
const qemuModules = ['accel-tcg-x86_64.so', 'block-rbd.so'];
const qemuModuleDir = 'usr/lib/x86_64-linux-gnu/qemu';
const agentPrune = [
  'usr/bin/qemu-system-i386',
  'usr/libexec/qemu-system-i386',
  'usr/bin/qemu-system-x86_64-microvm',
  ...[
    'skiboot.lid',
    'openbios-sparc64',
    'openbios-sparc32',
    'openbios-ppc',
    'slof.bin',
    'hppa-firmware.img',
    'palcode-clipper',
    's390-ccw.img',
    's390-netboot.img',
    'opensbi-riscv64-generic-fw_dynamic.elf',
    'opensbi-riscv64-generic-fw_dynamic.bin',
  ].map((f) => `usr/share/qemu/${f}`),
];

/** Where the agent image carries the probe guest (agent/host/hypervisor boots it). */
export const probeGuestInImage = '/opt/kcloud/probe-guest';

/**
 * The VM launcher (agent/vm-launch.ts): QEMU started through it lives in a cgroup of its own,
 * outside the agent pod's, and outlives the pod. The chart's --vm-launcher runs it from here.
 */
export const vmLauncherSource = path.join(repoRoot, 'hack', 'images', 'agent', 'vm-launch.ts');
export const vmLauncherInImage = '/usr/local/lib/kcloud/vm-launch.ts';

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

const appConfig = (main: string, extraEnv: string[] = []): ImageConfig => ({
  entrypoint: ['/usr/local/bin/node', `/opt/kcloud/${main}`],
  env: env(['NODE_ENV=production', ...extraEnv]),
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
  suite: AptSuite = 'bookworm',
): Promise<{ debs: Deb[]; dropped: string[] }> {
  const closure = await resolvePackages(roots, { exclude, suite });
  return { debs: await candidates(closure.packages, suite), dropped: closure.dropped };
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

/** One root filesystem, written as one layer; images may share it. */
interface LayerPlan {
  /** What goes in, for the build's log. */
  contents: string;
  stage: (root: string) => Promise<void>;
}

interface ImagePlan {
  name: ImageName;
  ref: string;
  archive: string;
  config: ImageConfig;
  inputs: string;
  /** Bottom first: each is staged and written once, however many images use it. */
  layers: LayerPlan[];
  /** What the ELF check looks at in the image's whole root filesystem. */
  check: CheckOptions;
}

interface StagedLayer {
  root: string;
  layer: Layer;
}

/** The images' root filesystem as the container sees it: each layer's files over the last. */
async function mergedRoot(layers: StagedLayer[], dir: string): Promise<string> {
  const [only] = layers;
  if (layers.length === 1 && only) return only.root;
  await mkdir(dir, { recursive: true });
  for (const l of layers) {
    // Hard links: the merged view costs no copy of the files.
    await toolOutput('cp', ['-a', '--link', '--remove-destination', `${l.root}/.`, `${dir}/`]);
  }
  return dir;
}

async function buildPlanned(
  images: ImagePlan[],
  outDir: string,
  log: (line: string) => void,
): Promise<BuiltImage[]> {
  const kept = await Promise.all(images.map((i) => upToDate(i.archive, i.inputs)));
  const stale = images.filter((_, i) => !kept[i]);
  const work = stale.length > 0 ? await mkdtemp(path.join(outDir, '.build-')) : undefined;
  try {
    const staged = new Map<LayerPlan, StagedLayer>();
    const stageLayer = async (plan: LayerPlan): Promise<StagedLayer> => {
      const done = staged.get(plan);
      if (done) return done;
      const n = String(staged.size);
      const root = path.join(work ?? outDir, `rootfs-${n}`);
      const started = Date.now();
      log(`layer ${n}: ${plan.contents}`);
      await plan.stage(root);
      const layer = await writeLayer(root, path.join(work ?? outDir, `layer-${n}.tar`));
      log(
        `layer ${n} sha256:${layer.digest.slice(0, 12)} ${mib(layer.bytes)} in ` +
          `${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      const s = { root, layer };
      staged.set(plan, s);
      return s;
    };
    const built: BuiltImage[] = [];
    for (const [i, image] of images.entries()) {
      if (kept[i]) {
        const bytes = (await stat(image.archive)).size;
        built.push({
          name: image.name,
          ref: image.ref,
          archive: image.archive,
          bytes,
          built: false,
        });
        continue;
      }
      const layers: StagedLayer[] = [];
      for (const plan of image.layers) layers.push(await stageLayer(plan));
      const root = await mergedRoot(layers, path.join(work ?? outDir, `merged-${image.name}`));
      const checked = await checkNeeded(root, image.check);
      log(`${image.name}: ${String(checked)} ELF files find what they need`);
      if (root !== layers[0]?.root) await rm(root, { recursive: true, force: true });
      await rm(stampOf(image.archive), { force: true });
      const bytes = await writeArchive(
        image.ref,
        layers.map((l) => l.layer),
        image.config,
        image.archive,
      );
      await writeFile(stampOf(image.archive), `${image.inputs}\n`);
      built.push({ name: image.name, ref: image.ref, archive: image.archive, bytes, built: true });
    }
    return built;
  } finally {
    if (work) await rm(work, { recursive: true, force: true });
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

/** Puts `files` of the package `deb` (folders whole) into `root`, and its copyright. */
async function takeFiles(root: string, pkg: string, deb: string, files: string[]): Promise<void> {
  const scratch = `${root}.${pkg}`;
  try {
    await extractDebs(scratch, [deb]);
    for (const f of [...files, `usr/share/doc/${pkg}/copyright`]) {
      if (!existsSync(path.join(scratch, f))) throw new Error(`${pkg} has no ${f}`);
      await mkdir(path.dirname(path.join(root, f)), { recursive: true });
      await rm(path.join(root, f), { recursive: true, force: true });
      await rename(path.join(scratch, f), path.join(root, f));
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Removes what the agent never runs of QEMU (see agentPrune, qemuModules). */
async function pruneQemu(root: string): Promise<void> {
  for (const f of agentPrune) await rm(path.join(root, f), { force: true });
  const modules = path.join(root, qemuModuleDir);
  for (const m of await readdir(modules)) {
    if (!qemuModules.includes(m)) await rm(path.join(modules, m), { recursive: true, force: true });
  }
}

/**
 * The probe guest of `dir` (hack/guest.sh build) under `target`: its kernel, its initramfs and
 * a probe-guest.json naming them beside it.
 */
async function placeProbeGuest(dir: string, target: string): Promise<void> {
  const guest = await readProbeGuest(dir);
  for (const f of [guest.kernel, guest.initrd]) {
    await placeFile(f, path.join(target, path.basename(f)), 0o644);
  }
  const manifest = {
    kernel: path.basename(guest.kernel),
    initrd: path.basename(guest.initrd),
    marker: guest.marker,
    kernelVersion: guest.kernelVersion,
  };
  await writeFile(path.join(target, probeGuestManifest), JSON.stringify(manifest, null, 2) + '\n');
}

/**
 * Builds kcloud-manager, kcloud-agent (the manager's layer, stored once by containerd, and one
 * of host tools) and kcloud-ovn into `outDir` as `<name>.tar`. An image whose inputs (the .debs,
 * the Node.js binary, the lock file, the application's sources, the probe guest, the entry
 * script, the tag) are unchanged since the last build into the same folder is not built again.
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
  const guestSource = options.probeGuestDir ?? guestDir();
  const guest = await readProbeGuest(guestSource).catch((err: unknown) => {
    throw new Error(
      `the agent image carries the probe guest: ${(err as Error).message} (\`make setup\` builds it)`,
      { cause: err },
    );
  });
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
  await prepareSuite(ovnSuite, log);
  const ovnDebs = await debsFor(ovnPackages, (n) => neverRun.test(n) || python.test(n), ovnSuite);
  const inNodeLayer = new Set(nodeDebs.debs.map((d) => d.package));
  const toolDebs = await debsFor(
    agentToolPackages,
    (n) => neverRun.test(n) || agentNeverRun.has(n),
  );
  // The layer below has these already.
  const toolLayerDebs = toolDebs.debs.filter((d) => !inNodeLayer.has(d.package));
  const partialDebs = await candidates(Object.keys(agentToolFiles));
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
  const agentInputs = sha256(
    JSON.stringify({
      appInputs,
      debs: toolLayerDebs.map((d) => d.file),
      partial: partialDebs.map((d) => d.file),
      guest: [await sha256File(guest.kernel), await sha256File(guest.initrd), guest.marker],
      vmLauncher: await sha256File(vmLauncherSource),
    }),
  );
  const ovnInputs = sha256(
    JSON.stringify({
      recipe,
      suite: ovnSuite,
      debs: ovnDebs.debs.map((d) => d.file),
      script: sha256(await readFile(ovnEntryScript)),
    }),
  );
  const plan = (
    name: ImageName,
    config: ImageConfig,
    inputs: string,
    layers: LayerPlan[],
    check: CheckOptions,
  ): ImagePlan => ({
    name,
    ref: ref(name),
    archive: archive(name),
    config,
    inputs: sha256(JSON.stringify({ inputs, ref: ref(name), config })),
    layers,
    check,
  });

  const app: LayerPlan = {
    contents: `${String(nodeDebs.debs.length)} Debian packages, Node.js, the application, its node_modules`,
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
  const tools: LayerPlan = {
    contents:
      `${String(toolLayerDebs.length)} Debian packages of host tools (${String(toolDebs.dropped.length)} ` +
      `dependencies on packages never run left out), files of ${Object.keys(agentToolFiles).join(', ')}, ` +
      'the probe guest, the VM launcher',
    stage: async (root) => {
      const [debs, partial] = await cached(async () => [
        await fetchDebs(debCache, toolLayerDebs),
        await fetchDebs(debCache, partialDebs),
      ]);
      await extractDebs(root, debs);
      for (const [i, d] of partialDebs.entries()) {
        await takeFiles(root, d.package, partial[i] ?? '', agentToolFiles[d.package] ?? []);
      }
      await pruneQemu(root);
      await pruneDocs(root);
      await mergeUsr(root);
      await placeProbeGuest(guestSource, path.join(root, probeGuestInImage));
      await placeFile(vmLauncherSource, path.join(root, vmLauncherInImage), 0o644);
    },
  };
  const ovn: LayerPlan = {
    contents:
      `${String(ovnDebs.debs.length)} Debian ${ovnSuite} packages (${String(ovnDebs.dropped.length)} dependencies on ` +
      'packages never run left out), the entry script',
    stage: async (root) => {
      await extractDebs(root, await cached(() => fetchDebs(debCache, ovnDebs.debs, ovnSuite)));
      await pruneDocs(root);
      await mergeUsr(root);
      await addSkeleton(root);
      for (const [link, target] of Object.entries(ovnAlternatives)) {
        await symlink(target, path.join(root, link));
      }
      await placeFile(ovnEntryScript, path.join(root, 'usr', 'local', 'bin', 'kcloud-ovn'), 0o755);
    },
  };
  const appCheck: CheckOptions = { addonDirs: ['/opt/kcloud/node_modules'] };
  const images = [
    plan('kcloud-manager', appConfig(entrypoints['kcloud-manager']), appInputs, [app], appCheck),
    plan(
      'kcloud-agent',
      // The agent's --probe-guest defaults to $KCLOUD_GUEST_DIR.
      appConfig(entrypoints['kcloud-agent'], [`KCLOUD_GUEST_DIR=${probeGuestInImage}`]),
      agentInputs,
      [app, tools],
      appCheck,
    ),
    plan('kcloud-ovn', ovnConfig, ovnInputs, [ovn], {}),
  ];
  return withPidLock(
    path.join(outDir, '.lock'),
    async () => {
      await removeLeftovers(outDir);
      return buildPlanned(images, outDir, log);
    },
    {
      onWait: (pid) => {
        log(`waiting for pid ${String(pid)}, which is building into ${outDir}`);
      },
    },
  );
}
