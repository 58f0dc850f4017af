// Flavor: a size of instance the cloud offers (vCPUs, memory, optional CPU quota and NIC
// bandwidth). Immutable, so resizing is an edit of the instances that use it, never a surprise.
import Type from 'typebox';
import {
  Immutable,
  StandardStatus,
  defineKind,
  phaseColumn,
  readyColumn,
  type ObjectOf,
  type SpecOf,
  type StatusOf,
} from '../../../controllers/api/index.ts';
import { MemorySize, Vcpus } from './compute-schema.ts';

export const Flavor = defineKind({
  group: 'ecs.kcloud.io',
  version: 'v1alpha1',
  kind: 'Flavor',
  plural: 'flavors',
  shortNames: ['flavor'],
  scope: 'Cluster',
  description:
    'Flavor is a size of instance the cloud offers: vCPUs and memory, optionally a CPU quota and a NIC bandwidth limit. Instances name one in spec.flavorRef. A Flavor cannot be changed: to resize instances, create another Flavor and point them at it.',
  spec: Immutable(
    Type.Object(
      {
        vcpu: Vcpus('Virtual CPUs, from 1 to 1024.'),
        memory: MemorySize(
          'Memory, a whole number of MiB from 16Mi to 16Ti, such as 4Gi or 1536Mi.',
        ),
        cpuQuotaPercent: Type.Optional(
          Type.Integer({
            description:
              "The share of each vCPU's time the guest may use, in percent (100 is a whole host CPU per vCPU). Omitted: no quota. Enforced by the host's cgroups.",
            minimum: 1,
            maximum: 100,
          }),
        ),
        nicBandwidthMbps: Type.Optional(
          Type.Integer({
            description:
              "The most each network interface may send and receive, in Mbit/s, enforced by OVN meters on the interfaces' ports. The interfaces an instance makes from a Subnet get it as their bandwidth each way; a NetworkInterface it names must already be limited to it (else NicBandwidthNotLimited). Omitted: no limit.",
            minimum: 1,
            // A NetworkInterface's own limit reaches 100 Gbit/s; the interfaces take this one.
            maximum: 100000,
          }),
        ),
      },
      { description: 'FlavorSpec is the size; it cannot be changed (create another Flavor).' },
    ),
    'a Flavor cannot be changed: create another Flavor and change the instances’ flavorRef',
  ),
  status: Type.Object(
    { ...StandardStatus() },
    { description: 'FlavorStatus says whether instances can use the Flavor.' },
  ),
  printerColumns: [
    { name: 'vCPU', type: 'integer', jsonPath: '.spec.vcpu', description: 'Virtual CPUs.' },
    { name: 'Memory', type: 'string', jsonPath: '.spec.memory', description: 'Memory.' },
    {
      name: 'CPUQuota',
      type: 'integer',
      jsonPath: '.spec.cpuQuotaPercent',
      description: 'Percent of a host CPU per vCPU.',
      priority: 1,
    },
    {
      name: 'NICMbps',
      type: 'integer',
      jsonPath: '.spec.nicBandwidthMbps',
      description: 'Bandwidth limit per interface in Mbit/s.',
      priority: 1,
    },
    phaseColumn(),
    readyColumn(),
  ],
  source: import.meta.url,
});

export type FlavorSpec = SpecOf<typeof Flavor>;
export type FlavorStatus = StatusOf<typeof Flavor>;
export type FlavorObject = ObjectOf<typeof Flavor>;
