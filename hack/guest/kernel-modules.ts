// The kernel modules the demo guest loads, taken from the unpacked kernel package with every
// module they depend on, in an order insmod can load them one by one. The package has no
// modules.dep (depmod makes it at install time), so each module's own `depends` field is read.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { toolOutput } from '../cluster/index.ts';

/**
 * virtio over PCI for the disk, the NICs and the guest-agent channel; FAT and its code pages
 * for the NoCloud seed; the ACPI power button and the input events busybox acpid reads; the
 * host's entropy source.
 */
export const demoModules = [
  'virtio',
  'virtio_ring',
  'virtio_pci_modern_dev',
  'virtio_pci_legacy_dev',
  'virtio_pci',
  'failover',
  'net_failover',
  'virtio_net',
  'virtio_blk',
  'virtio_console',
  'virtio_rng',
  'fat',
  'vfat',
  'nls_cp437',
  'nls_ascii',
  'nls_utf8',
  'nls_iso8859_1',
  'button',
  'evdev',
];

/** How the kernel names a module: its file name without .ko, dashes as underscores. */
export function moduleName(file: string): string {
  return path
    .basename(file)
    .replace(/\.ko(\.[a-z]+)?$/, '')
    .replace(/-/g, '_');
}

/**
 * `wanted` and everything they depend on, each after its dependencies (and otherwise in the
 * order asked), as given by `depends(name)`.
 */
export function loadOrder(wanted: string[], depends: (name: string) => string[]): string[] {
  const order: string[] = [];
  const visiting = new Set<string>();
  const visit = (name: string, from: string[]) => {
    if (order.includes(name)) return;
    if (visiting.has(name)) {
      throw new Error(
        `kernel modules depend on each other in a loop: ${[...from, name].join(' -> ')}`,
      );
    }
    visiting.add(name);
    for (const dep of depends(name)) visit(dep, [...from, name]);
    visiting.delete(name);
    order.push(name);
  };
  for (const name of wanted) visit(name, []);
  return order;
}

async function moduleFiles(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) await walk(full);
      else if (/\.ko(\.[a-z]+)?$/.test(e.name)) files.set(moduleName(e.name), full);
    }
  };
  await walk(dir);
  return files;
}

/**
 * The files (absolute, inside `root`) of `wanted` and their dependencies in load order. A
 * module the kernel has built in is not a file and needs no loading; one that is neither is
 * an error naming it.
 */
export async function resolveModules(
  root: string,
  release: string,
  wanted: string[],
): Promise<string[]> {
  const base = path.join(root, 'lib', 'modules', release);
  const files = await moduleFiles(path.join(base, 'kernel'));
  const builtin = new Set(
    (await readFile(path.join(base, 'modules.builtin'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map(moduleName),
  );
  const deps = new Map<string, string[]>();
  for (const name of wanted) {
    if (!files.has(name) && !builtin.has(name)) {
      throw new Error(`kernel ${release} has no module ${name}, built in or as a file`);
    }
  }
  // modinfo is asked only about the modules on the way, before loadOrder walks them.
  const pending = wanted.filter((n) => files.has(n));
  while (pending.length > 0) {
    const name = pending.pop() as string;
    if (deps.has(name)) continue;
    const file = files.get(name) as string;
    const out = await toolOutput('modinfo', ['-F', 'depends', file], {
      missingHint: 'install Debian kmod',
    });
    const list = out
      .trim()
      .split(',')
      .filter(Boolean)
      .map((d) => d.replace(/-/g, '_'))
      .filter((d) => !builtin.has(d));
    for (const d of list) {
      if (!files.has(d))
        throw new Error(`module ${name} needs ${d}, which kernel ${release} lacks`);
    }
    deps.set(name, list);
    pending.push(...list);
  }
  return loadOrder(
    wanted.filter((n) => files.has(n)),
    (n) => deps.get(n) ?? [],
  ).map((n) => files.get(n) as string);
}
