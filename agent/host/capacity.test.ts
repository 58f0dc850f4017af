import { describe, expect, it } from '@jest/globals';
import { formatBytes, hostResources, parseBytes, parseRatio } from './capacity.ts';
import { cpuArch, cpuModelOf } from './cpu.ts';

const GiB = 2 ** 30;

describe('a host’s allocatable resources', () => {
  it('are its CPUs times the overcommit ratio, and its memory less the reserve', () => {
    const r = hostResources(
      { cpus: 2, memoryBytes: 8 * GiB },
      { cpuOvercommit: 4, reservedMemoryBytes: GiB },
    );
    expect(r.capacity).toEqual({ vcpu: 2, memoryBytes: 8 * GiB, memory: '8Gi' });
    expect(r.allocatable).toEqual({ vcpu: 8, memoryBytes: 7 * GiB, memory: '7Gi' });
  });

  it('round vCPUs down, never promising part of a CPU', () => {
    const r = hostResources(
      { cpus: 3, memoryBytes: GiB },
      { cpuOvercommit: 1.5, reservedMemoryBytes: 0 },
    );
    expect(r.allocatable.vcpu).toBe(4);
    // 0.1 × 10 is 0.9999… in floating point: still one whole CPU.
    const tenth = hostResources(
      { cpus: 10, memoryBytes: GiB },
      { cpuOvercommit: 0.1, reservedMemoryBytes: 0 },
    );
    expect(tenth.allocatable.vcpu).toBe(1);
  });

  it('leave no memory, not a negative amount, when the reserve is larger than the machine', () => {
    const r = hostResources(
      { cpus: 1, memoryBytes: GiB },
      { cpuOvercommit: 1, reservedMemoryBytes: 2 * GiB },
    );
    expect(r.allocatable.memoryBytes).toBe(0);
    expect(r.allocatable.memory).toBe('0');
  });
});

describe('the resource flags', () => {
  it('read byte quantities as Kubernetes writes them', () => {
    expect(parseBytes('--reserved-memory', '1Gi')).toBe(GiB);
    expect(parseBytes('--reserved-memory', '512Mi')).toBe(512 * 2 ** 20);
    expect(parseBytes('--reserved-memory', '2G')).toBe(2e9);
    expect(parseBytes('--reserved-memory', '1.5Gi')).toBe(1.5 * GiB);
    expect(parseBytes('--reserved-memory', '4096')).toBe(4096);
    for (const bad of ['', '1GB', '-1Gi', 'lots', '1 Gi extra']) {
      expect(() => parseBytes('--reserved-memory', bad)).toThrow(
        `--reserved-memory must be a byte quantity like 512Mi, 1Gi or 2G, not "${bad}"`,
      );
    }
  });

  it('read an overcommit ratio above 0 and at most 64', () => {
    expect(parseRatio('--cpu-overcommit', '4')).toBe(4);
    expect(parseRatio('--cpu-overcommit', '1.5')).toBe(1.5);
    for (const bad of ['0', '-2', '65', 'x', '1e3', '']) {
      expect(() => parseRatio('--cpu-overcommit', bad)).toThrow(
        /--cpu-overcommit must be a number above 0/,
      );
    }
  });

  it('show memory in binary units for people', () => {
    expect(formatBytes(0)).toBe('0');
    expect(formatBytes(1023)).toBe('1023');
    expect(formatBytes(1536 * 2 ** 20)).toBe('1.5Gi');
    expect(formatBytes(16_585_420_800)).toBe('15.4Gi');
  });
});

describe('the host’s CPU', () => {
  it('is named as QEMU names architectures', () => {
    expect(cpuArch('x64')).toBe('x86_64');
    expect(cpuArch('arm64')).toBe('aarch64');
    expect(cpuArch('riscv64')).toBe('other');
  });

  it('takes its model from /proc/cpuinfo, on x86 and on arm64', () => {
    expect(
      cpuModelOf(
        'processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) CPU @ 2.20GHz\n',
      ),
    ).toBe('Intel(R) Xeon(R) CPU @ 2.20GHz');
    expect(
      cpuModelOf('processor\t: 0\nBogoMIPS\t: 50.00\n\nModel\t\t: Raspberry Pi 4 Model B\n'),
    ).toBe('Raspberry Pi 4 Model B');
    expect(cpuModelOf('processor\t: 0\n')).toBeUndefined();
  });
});
