// The three images really built (Debian packages, Node.js, the compiled application, the agent's
// host tools and probe guest), their archives read back, and their root filesystems run under
// chroot.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { useTestCeph } from '../../test/harness/ceph.ts';
import { candidates, fetchDebs } from './apt.ts';
import { buildImages, type BuiltImage, type ImageName } from './index.ts';

const run = promisify(execFile);
const ceph = useTestCeph('images');
const minutes = 60_000;

let work = '';
let first: BuiltImage[] = [];
let second: BuiltImage[] = [];

interface Unpacked {
  /** Bottom first. */
  layerDigests: string[];
  config: {
    config: { Entrypoint: string[]; Env: string[]; WorkingDir: string };
    rootfs: { diff_ids: string[] };
  };
  rootfs: string;
}
const unpacked = new Map<ImageName, Unpacked>();

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/** Unpacks a docker-archive and its layers, checking that the names agree with the contents. */
async function unpack(image: BuiltImage): Promise<Unpacked> {
  const dir = path.join(work, 'unpacked', image.name);
  await mkdir(path.join(dir, 'rootfs'), { recursive: true });
  await run('tar', ['-xf', image.archive, '-C', dir]);
  const manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as {
    Config: string;
    RepoTags: string[];
    Layers: string[];
  }[];
  expect(manifest).toHaveLength(1);
  const [entry] = manifest;
  if (!entry) throw new Error('empty manifest');
  expect(entry.RepoTags).toEqual([image.ref]);
  const configText = await readFile(path.join(dir, entry.Config));
  expect(entry.Config).toBe(`${createHash('sha256').update(configText).digest('hex')}.json`);
  const config = JSON.parse(configText.toString()) as Unpacked['config'];
  const layerDigests: string[] = [];
  // Each layer over the one below, as the container runtime stacks them.
  for (const name of entry.Layers) {
    const layer = path.join(dir, name);
    const digest = await sha256File(layer);
    expect(name).toBe(`${digest}/layer.tar`);
    layerDigests.push(digest);
    await run('tar', ['-xf', layer, '-C', path.join(dir, 'rootfs')]);
    await rm(layer);
  }
  expect(config.rootfs.diff_ids).toEqual(layerDigests.map((d) => `sha256:${d}`));
  return { layerDigests, config, rootfs: path.join(dir, 'rootfs') };
}

/**
 * Runs a command in an image's root filesystem with the image's environment, nothing more; with
 * `dev`, the machine's /dev too (QEMU opens /dev/null and more), bind-mounted in a mount
 * namespace of its own that goes with the command, and with `net` also in a network namespace
 * of its own (a port it listens on is nobody else's).
 */
async function inImage(
  name: ImageName,
  command: string[],
  opts: { dev?: boolean; net?: boolean } = {},
): Promise<{ code: number; out: string }> {
  const image = unpacked.get(name);
  if (!image) throw new Error(`${name} was not unpacked`);
  const env = Object.fromEntries(
    image.config.config.Env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]),
  );
  const [file, args] = opts.dev
    ? [
        'unshare',
        [
          ...(opts.net ? ['--net'] : []),
          '--mount',
          '--propagation',
          'private',
          'sh',
          '-c',
          'mkdir -p "$0/dev" && mount --rbind /dev "$0/dev" && exec chroot "$0" "$@"',
          image.rootfs,
          ...command,
        ],
      ]
    : ['chroot', [image.rootfs, ...command]];
  try {
    const { stdout, stderr } = await run(file, args, {
      env,
      timeout: 120_000,
      maxBuffer: 16 * 2 ** 20,
    });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, out: (e.stdout ?? '') + (e.stderr ?? '') };
  }
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('these tests run the images under chroot: as root');
  work = await mkdtemp(path.join(os.tmpdir(), 'kcloud-images-'));
  first = await buildImages({ outDir: path.join(work, 'one'), tag: 'test' });
  for (const image of first) unpacked.set(image.name, await unpack(image));
}, 20 * minutes);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the images built here', () => {
  it('are the three images, named in their own registry domain', () => {
    expect(first.map((i) => i.ref)).toEqual([
      'kcloud.local/kcloud-manager:test',
      'kcloud.local/kcloud-agent:test',
      'kcloud.local/kcloud-ovn:test',
    ]);
    expect(first.map((i) => path.basename(i.archive))).toEqual([
      'kcloud-manager.tar',
      'kcloud-agent.tar',
      'kcloud-ovn.tar',
    ]);
  });

  it('leave only archives and their stamps behind', async () => {
    expect((await readdir(path.join(work, 'one'))).sort()).toEqual([
      'kcloud-agent.tar',
      'kcloud-agent.tar.stamp',
      'kcloud-manager.tar',
      'kcloud-manager.tar.stamp',
      'kcloud-ovn.tar',
      'kcloud-ovn.tar.stamp',
    ]);
  });

  it('give the agent the manager’s layer and one of its own, and each its own entrypoint', () => {
    const manager = unpacked.get('kcloud-manager');
    const agent = unpacked.get('kcloud-agent');
    expect(manager?.layerDigests).toHaveLength(1);
    // containerd stores the shared layer once; the agent adds only its host tools.
    expect(agent?.layerDigests).toHaveLength(2);
    expect(agent?.layerDigests[0]).toBe(manager?.layerDigests[0]);
    expect(manager?.config.config).toEqual({
      Entrypoint: ['/usr/local/bin/node', '/opt/kcloud/dist/operators/manager/main.js'],
      Env: [
        'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        'NODE_ENV=production',
      ],
      WorkingDir: '/opt/kcloud',
    });
    expect(agent?.config.config.Entrypoint).toEqual([
      '/usr/local/bin/node',
      '/opt/kcloud/dist/agent/main.js',
    ]);
    // The agent's --probe-guest default: the probe guest the image carries.
    expect(agent?.config.config.Env).toContain('KCLOUD_GUEST_DIR=/opt/kcloud/probe-guest');
    expect(unpacked.get('kcloud-ovn')?.config.config.Entrypoint).toEqual([
      '/usr/local/bin/kcloud-ovn',
    ]);
  });

  it('run every host tool the agent calls in the agent image, and none in the manager image', async () => {
    for (const [program, says] of [
      ['qemu-img', /^qemu-img version 7\./],
      ['qemu-system-x86_64', /^QEMU emulator version 7\./],
      ['rbd', /^ceph version 16\./],
      // A Python program: it imports the rados module and its own argument parser first.
      ['ceph', /^ceph version 16\./],
      ['prlimit', /^prlimit from util-linux/],
      ['setpriv', /^setpriv from util-linux/],
      ['nsenter', /^nsenter from util-linux/],
      ['mformat', /^mformat \(GNU mtools\)/],
      ['mcopy', /^mcopy \(GNU mtools\)/],
      ['ip', /ip utility, iproute2-/],
      ['ovs-vsctl', /^ovs-vsctl \(Open vSwitch\) 3\./],
    ] as const) {
      const res = await inImage('kcloud-agent', [program, program === 'ip' ? '-V' : '--version']);
      expect({ program, ...res }).toEqual({ program, code: 0, out: expect.stringMatching(says) });
      const manager = await inImage('kcloud-manager', [program, '--version']);
      expect({ program, code: manager.code }).not.toEqual({ program, code: 0 });
    }
  });

  it('make a copy-on-write clone with qemu-img under prlimit in the agent image', async () => {
    const sh = (cmd: string[]) => inImage('kcloud-agent', cmd, { dev: true });
    expect(await sh(['qemu-img', 'create', '-q', '-f', 'qcow2', '/tmp/base.qcow2', '1G'])).toEqual({
      code: 0,
      out: '',
    });
    expect(
      await sh([
        'qemu-img',
        'create',
        '-q',
        '-f',
        'qcow2',
        '-F',
        'qcow2',
        '-b',
        '/tmp/base.qcow2',
        '/tmp/clone.qcow2',
        '2G',
      ]),
    ).toEqual({ code: 0, out: '' });
    // As operators/evs/backend/untrusted-image.ts reads an image: limited.
    const info = await sh([
      'prlimit',
      '--as=1073741824',
      '--cpu=10',
      '--',
      'qemu-img',
      'info',
      '--output=json',
      '/tmp/clone.qcow2',
    ]);
    expect(info.code).toBe(0);
    expect(JSON.parse(info.out)).toMatchObject({
      format: 'qcow2',
      'virtual-size': 2 * 2 ** 30,
      'backing-filename': '/tmp/base.qcow2',
    });
  });

  it('reach an RBD pool with the agent image’s ceph, rbd and QEMU’s rbd driver', async () => {
    const image = unpacked.get('kcloud-agent');
    if (!image) throw new Error('kcloud-agent was not unpacked');
    const pool = await ceph.pool();
    const user = await ceph.user(pool);
    // As operators/evs/backend/rbd writes a pool's configuration: the monitors and a keyring.
    await writeFile(
      path.join(image.rootfs, 'tmp', 'ceph.conf'),
      `[global]\nmon host = ${(await ceph.info()).monHost}\nkeyring = /tmp/ceph.keyring\n`,
    );
    await writeFile(
      path.join(image.rootfs, 'tmp', 'ceph.keyring'),
      `[client.${user.id}]\n\tkey = ${user.key}\n`,
      { mode: 0o600 },
    );
    const as = ['--conf', '/tmp/ceph.conf', '--id', user.id];
    const df = await inImage('kcloud-agent', ['ceph', ...as, 'df', '--format', 'json'], {
      dev: true,
    });
    expect(df.code).toBe(0);
    expect(
      (JSON.parse(df.out) as { pools: { name: string }[] }).pools.map((p) => p.name),
    ).toContain(pool);
    expect(
      await inImage('kcloud-agent', ['rbd', ...as, 'create', '--size', '64', `${pool}/disk`], {
        dev: true,
      }),
    ).toEqual({ code: 0, out: '' });
    const info = await inImage(
      'kcloud-agent',
      ['qemu-img', 'info', '--output=json', `rbd:${pool}/disk:id=${user.id}:conf=/tmp/ceph.conf`],
      { dev: true },
    );
    expect(info.code).toBe(0);
    expect(JSON.parse(info.out)).toMatchObject({ 'virtual-size': 64 * 2 ** 20 });
  });

  it('boot the probe guest the agent image carries with the image’s own QEMU (TCG)', async () => {
    const image = unpacked.get('kcloud-agent');
    if (!image) throw new Error('kcloud-agent was not unpacked');
    const manifest = JSON.parse(
      await readFile(path.join(image.rootfs, 'opt/kcloud/probe-guest/probe-guest.json'), 'utf8'),
    ) as { kernel: string; initrd: string; marker: string };
    const guest = (f: string) => `/opt/kcloud/probe-guest/${f}`;
    // As agent/host/hypervisor/qemu-args.ts boots it, under TCG (KVM may not be usable here).
    const boot = await inImage(
      'kcloud-agent',
      [
        'qemu-system-x86_64',
        ...['-accel', 'tcg', '-m', '128', '-nographic', '-no-reboot', '-nic', 'none'],
        ...['-kernel', guest(manifest.kernel), '-initrd', guest(manifest.initrd)],
        ...['-append', 'console=ttyS0 panic=-1'],
      ],
      { dev: true },
    );
    expect(boot.code).toBe(0);
    expect(boot.out).toContain(manifest.marker);
  });

  it('run Node.js 24 in the manager image, with the production dependencies', async () => {
    const version = await inImage('kcloud-manager', [
      '/usr/local/bin/node',
      '-p',
      'process.version',
    ]);
    expect(version).toEqual({ code: 0, out: expect.stringMatching(/^v24\./) as unknown });
    // Resolved from /opt/kcloud as the entrypoint's own imports are.
    const rootfs = unpacked.get('kcloud-manager')?.rootfs ?? '';
    await writeFile(
      path.join(rootfs, 'opt', 'kcloud', 'probe.mjs'),
      "const k = await import('@kubernetes/client-node');\n" +
        "const w = await import('winston');\n" +
        'console.log(typeof k.KubeConfig, typeof w.createLogger);\n',
    );
    expect(
      await inImage('kcloud-manager', ['/usr/local/bin/node', '/opt/kcloud/probe.mjs']),
    ).toEqual({ code: 0, out: 'function function\n' });
  });

  it('start the manager and the agent as far as their flags', async () => {
    for (const [name, main] of [
      ['kcloud-manager', '/opt/kcloud/dist/operators/manager/main.js'],
      ['kcloud-agent', '/opt/kcloud/dist/agent/main.js'],
    ] as const) {
      const res = await inImage(name, ['/usr/local/bin/node', main, '--no-such-flag']);
      expect(res.code).toBe(1);
      expect(res.out).toContain("Unknown option '--no-such-flag'");
    }
  });

  it('run the VM launcher with the agent image’s Node.js: its command in the cgroup it names', async () => {
    const agent = unpacked.get('kcloud-agent');
    if (!agent) throw new Error('kcloud-agent was not unpacked');
    // A cgroup v2 root as the launcher sees one: a folder with cgroup.procs (a real one is the
    // host's /sys/fs/cgroup, which the chart mounts).
    const uid = '0b5d9a8e-1c2f-4a7b-9e3d-2f1a6c8b7e40';
    await mkdir(path.join(agent.rootfs, 'tmp', 'cg'), { recursive: true });
    await writeFile(path.join(agent.rootfs, 'tmp', 'cg', 'cgroup.procs'), '');
    const launch = (cmd: string[]) =>
      inImage('kcloud-agent', [
        '/usr/local/bin/node',
        '/usr/local/lib/kcloud/vm-launch.ts',
        ...cmd,
      ]);
    const res = await launch([
      '/tmp/cg',
      `kcloud.vms/${uid}`,
      '--',
      '/usr/local/bin/node',
      '-e',
      'process.exitCode = 3',
    ]);
    // The command's own exit status, from inside the cgroup the launcher moved into.
    expect(res).toEqual({ code: 3, out: '' });
    const procs = await readFile(
      path.join(agent.rootfs, 'tmp', 'cg', 'kcloud.vms', uid, 'cgroup.procs'),
      'utf8',
    );
    expect(procs).toMatch(/^\d+$/);
    const usage = await launch(['/tmp/cg']);
    expect(usage).toEqual({ code: 125, out: expect.stringContaining('usage: vm-launch.ts') });
  });

  it("run trixie's OVN 25.03 and Open vSwitch 3.5 daemons and tools in the OVN image", async () => {
    for (const [program, says] of [
      ['ovsdb-tool', /ovsdb-tool \(Open vSwitch\) 3\.5\./],
      ['ovsdb-server', /ovsdb-server \(Open vSwitch\) 3\.5\./],
      ['ovsdb-client', /ovsdb-client \(Open vSwitch\) 3\.5\./],
      ['ovs-vsctl', /ovs-vsctl \(Open vSwitch\) 3\.5\./],
      ['ovs-vswitchd', /ovs-vswitchd \(Open vSwitch\) 3\.5\./],
      ['ovn-northd', /ovn-northd 25\.03\./],
      ['ovn-controller', /ovn-controller 25\.03\./],
      ['ovn-appctl', /ovn-appctl 25\.03\./],
    ] as const) {
      const res = await inImage('kcloud-ovn', [program, '--version']);
      expect({ program, ...res }).toEqual({ program, code: 0, out: expect.stringMatching(says) });
    }
  });

  it('run the entry script with its shell and tools in the OVN image', async () => {
    const usage = await inImage('kcloud-ovn', ['/usr/local/bin/kcloud-ovn']);
    expect(usage).toEqual({ code: 2, out: expect.stringContaining('usage: kcloud-ovn') });
    const tools = await inImage('kcloud-ovn', [
      'sh',
      '-c',
      'seq 1 3 | awk "{s+=\\$1} END {print s}"; id -un; ip -V 2>/dev/null | sed "s/,.*//"; command -v ps',
    ]);
    expect(tools).toEqual({
      code: 0,
      out: expect.stringMatching(/^6\nroot\nip utility.*\n\/usr\/bin\/ps\n$/),
    });
  });

  it(
    "convert bookworm's OVN 23.03 and Open vSwitch 3.1 databases to the image's schemas on start, keeping their rows, standalone central databases into clusters",
    async () => {
      const image = unpacked.get('kcloud-ovn');
      if (!image) throw new Error('kcloud-ovn was not unpacked');
      // The schemas of the packages the image was built from before (the machine's bookworm).
      const old = path.join(work, 'bookworm-schemas');
      const debs = await candidates(['ovn-central', 'openvswitch-switch'], 'bookworm');
      for (const deb of await fetchDebs(path.join(work, 'bookworm-debs'), debs)) {
        await run('dpkg-deb', ['-x', deb, old]);
      }
      const dir = path.join(image.rootfs, 'tmp', 'upgrade');
      await mkdir(path.join(dir, 'db'), { recursive: true });
      await mkdir(path.join(dir, 'tls'), { recursive: true });
      const schemas = {
        nb: ['usr/share/ovn/ovn-nb.ovsschema', 'ovnnb_db.db', 'OVN_Northbound', 'Logical_Switch'],
        sb: ['usr/share/ovn/ovn-sb.ovsschema', 'ovnsb_db.db', 'OVN_Southbound', 'Address_Set'],
        ovsdb: [
          'usr/share/openvswitch/vswitch.ovsschema',
          'conf.db',
          'Open_vSwitch',
          'Open_vSwitch',
        ],
      } as const;
      const versions: Record<string, { old: string; now: string }> = {};
      // The OVSDB tools read /dev/urandom.
      const ovn = (command: string[]) => inImage('kcloud-ovn', command, { dev: true });
      for (const [component, [schema, file, db, table]] of Object.entries(schemas)) {
        await run('cp', [path.join(old, schema), path.join(dir, `${component}.ovsschema`)]);
        const schemaVersion = async (file: string) => {
          const res = await ovn(['ovsdb-tool', 'schema-version', file]);
          expect(res).toEqual({ code: 0, out: expect.stringMatching(/^\d+\.\d+\.\d+\n$/) });
          return res.out.trim();
        };
        versions[component] = {
          old: await schemaVersion(`/tmp/upgrade/${component}.ovsschema`),
          now: await schemaVersion(`/${schema}`),
        };
        const dbFile = `/tmp/upgrade/db/${file}`;
        expect(
          await ovn(['ovsdb-tool', 'create', dbFile, `/tmp/upgrade/${component}.ovsschema`]),
        ).toEqual({ code: 0, out: '' });
        const row =
          table === 'Open_vSwitch'
            ? { external_ids: ['map', [['kept', 'yes']]] }
            : { name: 'kept' };
        const inserted = await ovn([
          'ovsdb-tool',
          'transact',
          dbFile,
          JSON.stringify([db, { op: 'insert', table, row }]),
        ]);
        expect(inserted).toEqual({ code: 0, out: expect.stringContaining('uuid') as unknown });
      }
      // Each really is an older schema than the image's.
      for (const v of Object.values(versions)) expect(v.old).not.toBe(v.now);
      // The central databases start only with a key, a certificate and a CA.
      await run('openssl', [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-subj',
        '/CN=upgrade',
        '-days',
        '1',
        '-keyout',
        path.join(dir, 'tls', 'tls.key'),
        '-out',
        path.join(dir, 'tls', 'tls.crt'),
      ]);
      await run('cp', [path.join(dir, 'tls', 'tls.crt'), path.join(dir, 'tls', 'ca.crt')]);
      // The central databases as the chart runs them: Raft clusters. The first member makes its
      // cluster from the standalone database an earlier release left (nb, sb: converted
      // first); a cluster an earlier release made is converted online by ovn-northd's start
      // (the copies under cluster/: one member each, created with the old schemas).
      await mkdir(path.join(dir, 'cluster', 'member'), { recursive: true });
      for (const [component, [, file, db, table]] of Object.entries(schemas)) {
        if (component === 'ovsdb') continue;
        const port = component === 'nb' ? 6643 : 6644;
        const dbFile = `/tmp/upgrade/cluster/member/${file}`;
        expect(
          await ovn([
            'ovsdb-tool',
            'create-cluster',
            dbFile,
            `/tmp/upgrade/${component}.ovsschema`,
            `ssl:127.0.0.1:${String(port)}`,
          ]),
          // ovsdb-tool says which ephemeral columns a cluster keeps persistent.
        ).toEqual({ code: 0, out: expect.not.stringMatching(/ERR|error/i) as unknown });
        // A one-member cluster commits by itself: its file takes the row as a standalone one.
        const cluster = await ovn([
          'sh',
          '-c',
          [
            `ovsdb-server ${dbFile} --remote=punix:/tmp/upgrade/seed.sock --unixctl=/tmp/upgrade/seed.ctl --detach --pidfile=/tmp/upgrade/seed.pid --no-chdir -vconsole:off`,
            // Until it has elected itself (at once, as its only member).
            `for i in $(seq 1 100); do ovsdb-client transact unix:/tmp/upgrade/seed.sock '${JSON.stringify([db, { op: 'insert', table, row: { name: 'kept' } }])}' >/dev/null 2>&1 && break; sleep 0.1; done`,
            `test "$(ovsdb-client --format=csv --data=bare --no-headings dump unix:/tmp/upgrade/seed.sock ${db} ${table} name)" = "${table} table
kept"`,
            'ovs-appctl -t /tmp/upgrade/seed.ctl exit',
          ].join(' && '),
        ]);
        // (The image has no /etc/resolv.conf to warn about: addresses here are IPs.)
        expect(cluster).toEqual({ code: 0, out: expect.not.stringMatching(/ERR/) as unknown });
      }
      // Each daemon started as the chart starts it, in a network namespace of its own (its TLS
      // port is then nobody else's), asked through its socket once it answers, then stopped.
      /** The component's schema version and kept row, through its socket in `run`. */
      const dump = (c: string, run = '$OVN_RUNDIR') => [
        '  case ' + c + ' in',
        '    nb) sock=ovnnb_db.sock db=OVN_Northbound q="Logical_Switch name" ;;',
        '    sb) sock=ovnsb_db.sock db=OVN_Southbound q="Address_Set name" ;;',
        '    ovsdb) sock=db.sock db=Open_vSwitch q="Open_vSwitch external_ids" ;;',
        '  esac',
        `  echo "${c} $(ovsdb-client get-schema-version unix:${run}/$sock $db)"`,
        `  ovsdb-client --format=csv --data=bare --no-headings dump unix:${run}/$sock $db $q`,
      ];
      const clustered = [
        'export OVN_CENTRAL_MEMBERS=127.0.0.1 OVN_CENTRAL_SELF=127.0.0.1',
        // From the standalone databases: the first member's folder is empty.
        'export OVN_LEGACY_DBDIR=/tmp/upgrade/db OVN_DBDIR=/tmp/upgrade/db/member',
        'export OVN_RUNDIR=/tmp/upgrade/run-legacy OVN_TLS_DIR=/tmp/upgrade/tls',
        'for c in nb sb; do',
        '  kcloud-ovn $c >/tmp/upgrade/$c-legacy.log 2>&1 & pid=$!',
        '  until kcloud-ovn probe $c >/dev/null 2>&1; do',
        '    kill -0 $pid 2>/dev/null || { cat /tmp/upgrade/$c-legacy.log; exit 9; }',
        '    sleep 0.1',
        '  done',
        ...dump('$c'),
        '  echo "$c $(ovs-appctl -t $OVN_RUNDIR/ovn${c}_db.ctl cluster/status $db | grep -E "^(Role|Address):" | tr "\n" " ")"',
        '  kill $pid; wait $pid 2>/dev/null || true',
        'done',
        'ls /tmp/upgrade/db | grep -v conf.db | tr "\n" " "; echo',
        // A cluster of the old schemas: its member starts as it is; ovn-northd converts it.
        'export OVN_DBDIR=/tmp/upgrade/cluster/member OVN_LEGACY_DBDIR=/tmp/upgrade/none',
        'export OVN_RUNDIR=/tmp/upgrade/run-cluster',
        'pids=',
        'for c in nb sb; do kcloud-ovn $c >/tmp/upgrade/$c-cluster.log 2>&1 & pids="$pids $!"; done',
        'kcloud-ovn northd >/tmp/upgrade/northd.log 2>&1 & pids="$pids $!"',
        'until kcloud-ovn probe northd >/dev/null 2>&1; do',
        '  for p in $pids; do kill -0 $p 2>/dev/null || { cat /tmp/upgrade/*-cluster.log /tmp/upgrade/northd.log; exit 9; }; done',
        '  sleep 0.1',
        'done',
        'for c in nb sb; do',
        ...dump('$c'),
        'done',
        'kill $pids; wait 2>/dev/null || true',
      ];
      const script = [
        ...clustered,
        // The host's database, standalone.
        'unset OVN_CENTRAL_MEMBERS OVN_CENTRAL_SELF',
        'export OVS_DBDIR=/tmp/upgrade/db OVN_RUNDIR=/tmp/upgrade/run OVS_RUNDIR=/tmp/upgrade/run',
        'c=ovsdb',
        'kcloud-ovn $c >/tmp/upgrade/$c.log 2>&1 & pid=$!',
        'until kcloud-ovn probe $c >/dev/null 2>&1; do',
        '  kill -0 $pid 2>/dev/null || { cat /tmp/upgrade/$c.log; exit 9; }',
        '  sleep 0.1',
        'done',
        ...dump('$c', '$OVS_RUNDIR'),
        'kill $pid; wait $pid 2>/dev/null || true',
      ].join('\n');
      const res = await inImage('kcloud-ovn', ['sh', '-c', script], { dev: true, net: true });
      expect(res.code).toBe(0);
      const central = () => [
        `nb ${versions.nb?.now ?? ''}`,
        'Logical_Switch table',
        'kept',
        `sb ${versions.sb?.now ?? ''}`,
        'Address_Set table',
        'kept',
      ];
      expect(res.out.split('\n')).toEqual([
        ...central().slice(0, 3),
        'nb Address: ssl:127.0.0.1:6643 Role: leader ',
        ...central().slice(3),
        'sb Address: ssl:127.0.0.1:6644 Role: leader ',
        // Each standalone file kept aside, never made into a cluster again.
        'member ovnnb_db.db.clustered ovnsb_db.db.clustered ',
        ...central(),
        `ovsdb ${versions.ovsdb?.now ?? ''}`,
        'Open_vSwitch table',
        'kept=yes',
        '',
      ]);
    },
    5 * minutes,
  );

  it(
    'come out the same when built again from the same tree',
    async () => {
      second = await buildImages({ outDir: path.join(work, 'two'), tag: 'test' });
      for (const [a, b] of first.map((image, i) => [image, second[i]] as const)) {
        expect(b?.built).toBe(true);
        expect({ image: a.name, sha256: await sha256File(b?.archive ?? '') }).toEqual({
          image: a.name,
          sha256: await sha256File(a.archive),
        });
      }
      // Into the same folder with nothing changed: kept, not built again.
      const again = await buildImages({ outDir: path.join(work, 'two'), tag: 'test' });
      expect(again.map((i) => i.built)).toEqual([false, false, false]);
    },
    20 * minutes,
  );
});
