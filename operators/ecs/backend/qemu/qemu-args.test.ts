import { describe, expect, it } from '@jest/globals';
import { optValue, qemuArgs } from './qemu-args.ts';
import { runPaths } from './run-dir.ts';
import { checkVncPassword } from './vm.ts';
import { parseMonitor, type VmDefinition } from './vm-definition.ts';

const uuid = '7d3c1a52-0b1e-4c7a-9f00-000000000001';
const paths = runPaths('/var/lib/kcloud/ecs', uuid);

function def(over: Partial<VmDefinition> = {}): VmDefinition {
  return {
    uuid,
    name: 'tenant-a_web-1',
    vcpus: 2,
    memoryMiB: 512,
    accel: 'tcg',
    disks: [
      {
        id: 'vol0',
        source: { kind: 'file', path: '/pools/p1/volume-1.qcow2', format: 'qcow2' },
        serial: 'vol-1',
        bootIndex: 1,
        throttle: { iopsTotal: 500, bpsTotal: 50 * 1024 * 1024 },
      },
    ],
    nics: [{ id: 'eth0', tap: 'tap-1a2b3c4d', mac: '52:54:00:12:34:56' }],
    ...over,
  };
}

/** The values of every occurrence of `name`. */
function all(args: string[], name: string): string[] {
  return args.flatMap((a, i) =>
    a === name && args[i + 1] !== undefined ? [args[i + 1] as string] : [],
  );
}

function one(args: string[], name: string): string {
  const v = all(args, name);
  expect(v).toHaveLength(1);
  return v[0] as string;
}

const jsonOf = (args: string[], name: string) =>
  all(args, name).map((v) => JSON.parse(v) as Record<string, unknown>);

describe('qemuArgs', () => {
  it('names the VM by UUID and name, and starts it paused, daemonized, with nothing implicit', () => {
    const args = qemuArgs(def(), paths);
    expect(one(args, '-uuid')).toBe(uuid);
    expect(one(args, '-name')).toBe('guest=tenant-a_web-1,debug-threads=on');
    expect(one(args, '-machine')).toBe('q35');
    expect(one(args, '-smp')).toBe('2');
    expect(one(args, '-m')).toBe('512');
    expect(one(args, '-pidfile')).toBe(`/var/lib/kcloud/ecs/vms/${uuid}/qemu.pid`);
    for (const flag of ['-no-user-config', '-nodefaults', '-S', '-no-shutdown', '-daemonize']) {
      expect(args).toContain(flag);
    }
  });

  it('leaves sockets for vCPUs plugged later, one vCPU each', () => {
    expect(one(qemuArgs({ ...def(), maxVcpus: 8 }, paths), '-smp')).toBe(
      'cpus=2,maxcpus=8,sockets=8,cores=1,threads=1',
    );
    expect(one(qemuArgs({ ...def(), maxVcpus: 2 }, paths), '-smp')).toBe('2');
    expect(() => qemuArgs({ ...def(), maxVcpus: 1 }, paths)).toThrow(/maxVcpus/);
  });

  it('leaves room to plug memory up to maxMemoryMiB, in MiB (maxmem alone would read bytes)', () => {
    expect(one(qemuArgs({ ...def(), maxMemoryMiB: 65536 }, paths), '-m')).toBe(
      '512M,slots=16,maxmem=65536M',
    );
    expect(one(qemuArgs({ ...def(), maxMemoryMiB: 768 }, paths), '-m')).toBe(
      '512M,slots=2,maxmem=768M',
    );
    // Less than one 128 MiB block of room is none.
    expect(one(qemuArgs({ ...def(), maxMemoryMiB: 600 }, paths), '-m')).toBe('512');
    expect(one(qemuArgs({ ...def(), maxMemoryMiB: 512 }, paths), '-m')).toBe('512');
    expect(() => qemuArgs({ ...def(), maxMemoryMiB: 256 }, paths)).toThrow(/maxMemoryMiB/);
  });

  it('uses TCG with a 128 MiB translation cache, or KVM with the host CPU', () => {
    const tcg = qemuArgs(def(), paths);
    expect(one(tcg, '-accel')).toBe('tcg,tb-size=128');
    expect(tcg).not.toContain('-cpu');
    const kvm = qemuArgs(def({ accel: 'kvm' }), paths);
    expect(one(kvm, '-accel')).toBe('kvm');
    expect(one(kvm, '-cpu')).toBe('host');
  });

  it('puts QMP, the guest agent and the logged console on unix sockets in the run dir', () => {
    const args = qemuArgs(def(), paths);
    const dir = `/var/lib/kcloud/ecs/vms/${uuid}`;
    expect(all(args, '-chardev')).toEqual([
      `socket,id=qmp,path=${dir}/qmp.sock,server=on,wait=off`,
      `socket,id=console,path=${dir}/con.sock,server=on,wait=off,logfile=${dir}/console.log,logappend=on`,
      `socket,id=qga,path=${dir}/qga.sock,server=on,wait=off`,
    ]);
    expect(one(args, '-mon')).toBe('chardev=qmp,mode=control');
    const devices = jsonOf(args, '-device');
    expect(devices).toEqual(
      expect.arrayContaining([
        { driver: 'isa-serial', id: 'serial0', chardev: 'console' },
        expect.objectContaining({
          driver: 'virtserialport',
          chardev: 'qga',
          name: 'org.qemu.guest_agent.0',
        }),
      ]),
    );
  });

  it('listens for VNC on loopback only, asking a password that is not on the command line', () => {
    const args = qemuArgs(def(), paths);
    expect(one(args, '-vnc')).toBe('127.0.0.1:0,to=99,password=on');
    expect(args.join(' ')).not.toMatch(/password=[^o]|password-secret/);
  });

  it('opens a qcow2 file through a throttle node of its own group, with serial and boot index', () => {
    const args = qemuArgs(def(), paths);
    expect(jsonOf(args, '-object')).toEqual([
      {
        'qom-type': 'throttle-group',
        id: 'tg-vol0',
        limits: { 'iops-total': 500, 'bps-total': 52428800 },
      },
    ]);
    expect(jsonOf(args, '-blockdev')).toEqual([
      {
        'node-name': 'disk-vol0-file',
        driver: 'file',
        filename: '/pools/p1/volume-1.qcow2',
        'read-only': false,
      },
      { 'node-name': 'disk-vol0-fmt', driver: 'qcow2', file: 'disk-vol0-file', 'read-only': false },
      {
        'node-name': 'disk-vol0-thr',
        driver: 'throttle',
        'throttle-group': 'tg-vol0',
        file: 'disk-vol0-fmt',
        'read-only': false,
      },
    ]);
    expect(jsonOf(args, '-device')).toContainEqual({
      driver: 'virtio-blk-pci',
      id: 'disk-vol0',
      drive: 'disk-vol0-thr',
      serial: 'vol-1',
      bootindex: 1,
      bus: 'port-1',
    });
  });

  it('gives an unthrottled disk a group with no limits, so limits can be set later', () => {
    const d = def();
    delete d.disks[0]?.throttle;
    expect(jsonOf(qemuArgs(d, paths), '-object')).toEqual([
      { 'qom-type': 'throttle-group', id: 'tg-vol0', limits: {} },
    ]);
  });

  it('opens RBD through monitors and a cephx user, the key only as a secret read from a file', () => {
    const args = qemuArgs(
      def({
        disks: [
          {
            id: 'vol0',
            source: {
              kind: 'rbd',
              pool: 'kcloud-ssd',
              image: 'volume-1',
              monitors: ['10.0.0.1', '10.0.0.2:3300', '[fd00::1]:6789'],
              user: 'kcloud-agent',
              keyFile: '/run/kcloud/ceph/kcloud-agent.key',
            },
          },
        ],
      }),
      paths,
    );
    expect(jsonOf(args, '-object')[0]).toEqual({
      'qom-type': 'secret',
      id: 'sec-vol0',
      file: '/run/kcloud/ceph/kcloud-agent.key',
      format: 'base64',
    });
    expect(jsonOf(args, '-blockdev').slice(0, 2)).toEqual([
      {
        'node-name': 'disk-vol0-file',
        driver: 'rbd',
        pool: 'kcloud-ssd',
        image: 'volume-1',
        server: [
          { host: '10.0.0.1', port: '6789' },
          { host: '10.0.0.2', port: '3300' },
          { host: 'fd00::1', port: '6789' },
        ],
        user: 'kcloud-agent',
        'key-secret': 'sec-vol0',
        'auth-client-required': ['cephx'],
        'read-only': false,
      },
      { 'node-name': 'disk-vol0-fmt', driver: 'raw', file: 'disk-vol0-file', 'read-only': false },
    ]);
    expect(args.join(' ')).not.toMatch(/key=|keyring/);
  });

  it('opens RBD through a ceph.conf alone, as an EVS pool writes one', () => {
    const args = qemuArgs(
      def({
        disks: [
          {
            id: 'vol0',
            source: {
              kind: 'rbd',
              pool: 'p',
              image: 'i',
              monitors: [],
              user: 'kcloud-agent',
              conf: '/var/lib/kcloud/evs/pools/p/ceph.conf',
            },
          },
        ],
      }),
      paths,
    );
    expect(jsonOf(args, '-object').map((o) => o['qom-type'])).toEqual(['throttle-group']);
    expect(jsonOf(args, '-blockdev')[0]).toEqual({
      'node-name': 'disk-vol0-file',
      driver: 'rbd',
      pool: 'p',
      image: 'i',
      user: 'kcloud-agent',
      'auth-client-required': ['cephx'],
      conf: '/var/lib/kcloud/evs/pools/p/ceph.conf',
      'read-only': false,
    });
  });

  it('plugs a NIC as a tap QEMU opens without scripts, with its MAC', () => {
    const args = qemuArgs(def(), paths);
    expect(jsonOf(args, '-netdev')).toEqual([
      {
        type: 'tap',
        id: 'net-eth0',
        ifname: 'tap-1a2b3c4d',
        script: 'no',
        downscript: 'no',
        vnet_hdr: false,
      },
    ]);
    expect(jsonOf(args, '-device')).toContainEqual({
      driver: 'virtio-net-pci',
      id: 'nic-eth0',
      netdev: 'net-eth0',
      mac: '52:54:00:12:34:56',
      bus: 'port-0',
    });
  });

  it('gives each device a PCIe root port (NICs, disks, seed), then spare ports for hot-plug', () => {
    const args = qemuArgs(
      def({ seed: { path: '/var/lib/kcloud/seed.img' }, hotplugPorts: 2 }),
      paths,
    );
    const devices = jsonOf(args, '-device');
    const ports = devices.filter((d) => d.driver === 'pcie-root-port');
    expect(ports.map((p) => [p.id, p.addr, p.chassis])).toEqual([
      ['port-0', '0x3', 1],
      ['port-1', '0x4', 2],
      ['port-2', '0x5', 3],
      ['port-3', '0x6', 4],
      ['port-4', '0x7', 5],
    ]);
    expect(devices.find((d) => d.id === 'disk-seed')).toEqual({
      driver: 'virtio-blk-pci',
      id: 'disk-seed',
      drive: 'disk-seed-thr',
      serial: 'cidata',
      bus: 'port-2',
    });
    expect(
      jsonOf(args, '-blockdev').filter((b) => String(b['node-name']).startsWith('disk-seed')),
    ).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ filename: '/var/lib/kcloud/seed.img', 'read-only': true }),
        expect.objectContaining({ driver: 'raw', 'read-only': true }),
      ]),
    );
    // The last of the 24 ports possible takes slot 0x1a, below the chipset's 0x1f.
    const many = qemuArgs(def({ hotplugPorts: 22 }), paths);
    const last = jsonOf(many, '-device')
      .filter((d) => d.driver === 'pcie-root-port')
      .at(-1);
    expect(last).toEqual({
      driver: 'pcie-root-port',
      id: 'port-23',
      bus: 'pcie.0',
      chassis: 24,
      addr: '0x1a',
    });
  });

  it('boots a kernel directly when asked (tests), and otherwise not', () => {
    expect(qemuArgs(def(), paths)).not.toContain('-kernel');
    const args = qemuArgs(
      def({
        kernelBoot: { kernel: '/g/vmlinuz', initrd: '/g/initrd', append: 'console=ttyS0 quiet' },
      }),
      paths,
    );
    expect(one(args, '-kernel')).toBe('/g/vmlinuz');
    expect(one(args, '-initrd')).toBe('/g/initrd');
    expect(one(args, '-append')).toBe('console=ttyS0 quiet');
  });
});

describe('parseMonitor', () => {
  it.each([
    ['10.0.0.1', { host: '10.0.0.1', port: 6789 }],
    ['mon-a.example:3300', { host: 'mon-a.example', port: 3300 }],
    ['[fd00::1]:6790', { host: 'fd00::1', port: 6790 }],
    ['[v2:127.0.0.1:40001,v1:127.0.0.1:40000]', { host: '127.0.0.1', port: 40000 }],
    ['[v2:127.0.0.1:3300/0]', { host: '127.0.0.1', port: 3300 }],
    ['v1:10.0.0.2:6789/0', { host: '10.0.0.2', port: 6789 }],
  ])('reads %s', (text, want) => {
    expect(parseMonitor(text)).toEqual(want);
  });

  it.each(['', 'a b', '10.0.0.1:99999', '[v3:1.2.3.4:1]', '[fd00::1', 'host:port'])(
    'refuses %j',
    (text) => {
      expect(() => parseMonitor(text)).toThrow(/is not host, host:port/);
    },
  );
});

describe('values that could be read as QEMU options', () => {
  it('doubles commas in key=value syntax, so a value cannot add an option', () => {
    expect(optValue('a,b=c')).toBe('a,,b=c');
    expect(optValue('/x,,y')).toBe('/x,,,,y');
  });

  it('keeps a state dir with commas and = inside the socket and log paths', () => {
    const p = runPaths('/srv/a,server=off,b=c', uuid);
    const chardevs = all(qemuArgs(def(), p), '-chardev');
    expect(chardevs[0]).toBe(
      `socket,id=qmp,path=/srv/a,,server=off,,b=c/vms/${uuid}/qmp.sock,server=on,wait=off`,
    );
    expect(chardevs[1]).toContain(`logfile=/srv/a,,server=off,,b=c/vms/${uuid}/console.log,`);
  });

  it('keeps a disk path with commas and = one JSON value', () => {
    const evil = '/pools/x.qcow2,driver=raw,file.filename=/etc/shadow';
    const d = def();
    const disk = d.disks[0];
    if (disk) disk.source = { kind: 'file', path: evil, format: 'qcow2' };
    const nodes = jsonOf(qemuArgs(d, paths), '-blockdev');
    expect(nodes[0]).toEqual({
      'node-name': 'disk-vol0-file',
      driver: 'file',
      filename: evil,
      'read-only': false,
    });
  });

  it.each([
    [
      'a name with a comma',
      { name: 'ns_vm,debug-threads=off' },
      /^name "ns_vm,debug-threads=off" must be/,
    ],
    ['a name with =', { name: 'guest=x' }, /^name "guest=x" must be/],
    ['a name with a newline', { name: 'a\nb' }, /^name "a\\nb" must be/],
    [
      'a uuid that is not one',
      { uuid: '../../etc' },
      /^uuid "..\/..\/etc" is not a lowercase UUID/,
    ],
    [
      'a tap with a comma',
      { nics: [{ id: 'eth0', tap: 'tap0,script=/bin/sh', mac: '52:54:00:00:00:01' }] },
      /^NIC eth0: tap "tap0,script=\/bin\/sh" must be/,
    ],
    [
      'a multicast MAC',
      { nics: [{ id: 'eth0', tap: 'tap0', mac: '01:00:5e:00:00:01' }] },
      /MAC 01:00:5e:00:00:01 is multicast/,
    ],
    [
      'a MAC with an option after it',
      { nics: [{ id: 'eth0', tap: 'tap0', mac: '52:54:00:00:00:01,id=x' }] },
      /must look like/,
    ],
    [
      'a disk id with =',
      {
        disks: [
          { id: 'a=b', source: { kind: 'file' as const, path: '/x', format: 'raw' as const } },
        ],
      },
      /^disk id "a=b" must be/,
    ],
    [
      'a serial with a comma',
      {
        disks: [
          {
            id: 'd',
            serial: 'x,bootindex=0',
            source: { kind: 'file' as const, path: '/x', format: 'raw' as const },
          },
        ],
      },
      /serial must be/,
    ],
    [
      'a relative disk path',
      {
        disks: [
          { id: 'd', source: { kind: 'file' as const, path: 'x.qcow2', format: 'qcow2' as const } },
        ],
      },
      /must be an absolute path/,
    ],
    [
      'an RBD pool with a slash',
      {
        disks: [
          {
            id: 'd',
            source: {
              kind: 'rbd' as const,
              pool: 'a/b',
              image: 'i',
              monitors: ['m'],
              user: 'u',
              keyFile: '/k',
            },
          },
        ],
      },
      /RBD pool "a\/b" is not a Ceph name/,
    ],
    [
      'a monitor with an option after it',
      {
        disks: [
          {
            id: 'd',
            source: {
              kind: 'rbd' as const,
              pool: 'p',
              image: 'i',
              monitors: ['m:6789,x=y'],
              user: 'u',
              keyFile: '/k',
            },
          },
        ],
      },
      /Ceph monitor "m:6789,x=y" is not/,
    ],
    [
      'RBD with neither monitors nor a ceph.conf',
      {
        disks: [
          {
            id: 'd',
            source: {
              kind: 'rbd' as const,
              pool: 'p',
              image: 'i',
              monitors: [],
              user: 'u',
              keyFile: '/k',
            },
          },
        ],
      },
      /RBD needs monitors or a ceph.conf naming them/,
    ],
    [
      'RBD with neither a key file nor a ceph.conf',
      {
        disks: [
          {
            id: 'd',
            source: { kind: 'rbd' as const, pool: 'p', image: 'i', monitors: ['m'], user: 'u' },
          },
        ],
      },
      /RBD needs a key file or a ceph.conf naming a keyring/,
    ],
    [
      'a total and a read limit together',
      {
        disks: [
          {
            id: 'd',
            source: { kind: 'file' as const, path: '/x', format: 'raw' as const },
            throttle: { iopsTotal: 1, iopsRead: 2 },
          },
        ],
      },
      /give iopsTotal or iopsRead\/iopsWrite, not both/,
    ],
    [
      'the same id twice',
      { nics: [{ id: 'vol0', tap: 't', mac: '52:54:00:00:00:01' }] },
      /id vol0 is used twice/,
    ],
    ['too many ports', { hotplugPorts: 23 }, /25 PCIe ports asked/],
    ['zero vCPUs', { vcpus: 0 }, /vcpus must be a whole number from 1/],
  ])('refuses %s with InvalidDefinition', (_what, over, message) => {
    let err: unknown;
    try {
      qemuArgs(def(over), paths);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ reason: 'InvalidDefinition', retry: false });
    expect((err as Error).message).toMatch(message);
  });

  it('refuses a state dir too long for unix sockets, saying which flag to change', () => {
    expect(() => runPaths('/' + 'x'.repeat(80), uuid)).toThrow(/use a shorter --state-dir/);
  });
});

describe('checkVncPassword', () => {
  it('takes 1-8 printable ASCII characters, all RFB authentication uses', () => {
    expect(() => {
      checkVncPassword('pw,=x 12');
    }).not.toThrow();
    for (const bad of ['', '123456789', 'pässwd', 'a\nb']) {
      expect(() => {
        checkVncPassword(bad);
      }).toThrow(/a VNC password is 1 to 8 printable ASCII characters/);
    }
  });
});
