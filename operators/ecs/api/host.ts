// Host: one hypervisor host, registered by the kcloud-agent running on it. Three writers share
// its status, each with its own field manager and fields: the agent (what the machine is), the
// EVS host module (the storage pools it reaches) and the manager's host-lifecycle controller
// (whether the host is Ready and Schedulable).
import Type from 'typebox';
import {
  Conditions,
  Int64,
  ObservedGeneration,
  Phase,
  StringEnum,
  defineKind,
  readyColumn,
  type ObjectOf,
  type SpecOf,
  type StatusOf,
} from '../../../controllers/api/index.ts';
import { chassisNamePattern } from '../../vpc/api/index.ts';

/** The agent's condition: whether it can do its work on the host. */
export const agentReadyCondition = 'AgentReady';
/**
 * The manager's condition: the host was lost long enough that its instances were moved; its
 * agent, when back, runs none of them. False again once its heartbeat is back.
 */
export const fencedCondition = 'Fenced';
/** The manager's condition: whether new work may be placed on the host. */
export const schedulableCondition = 'Schedulable';

/** The label that binds an object to a host; the scheduler sets it, agents select on it. */
export { hostLabel } from '../../../controllers/host/index.ts';
/** On Hosts (and their heartbeat Leases) that a simulating agent answers for. */
export const simulatedLabel = 'host.kcloud.io/simulated';
/** Topology labels on a Host, from the agent's --zone, --rack and --host-group. */
export const topologyLabels = {
  zone: 'topology.kubernetes.io/zone',
  rack: 'topology.kcloud.io/rack',
  hostGroup: 'topology.kcloud.io/host-group',
} as const;

const Resources = (what: string) =>
  Type.Object(
    {
      vcpu: Type.Integer({ description: `Virtual CPUs ${what}.`, minimum: 0, maximum: 1048576 }),
      memoryBytes: Int64({ description: `Memory ${what}, in bytes.`, minimum: 0 }),
      memory: Type.Optional(
        Type.String({
          description: `Memory ${what} in binary units for people, such as 15.5Gi; memoryBytes is exact.`,
        }),
      ),
    },
    { description: `Resources ${what}.` },
  );

const StoragePoolOnHost = Type.Object(
  {
    name: Type.String({ description: 'Name of the StoragePool.', minLength: 1, maxLength: 253 }),
    capacityBytes: Type.Optional(
      Int64({ description: 'Size of the pool as this host sees it, in bytes.', minimum: 0 }),
    ),
    availableBytes: Type.Optional(
      Int64({ description: 'Free space of the pool as this host sees it, in bytes.', minimum: 0 }),
    ),
  },
  { description: 'A storage pool this host reaches.' },
);

export const Host = defineKind({
  group: 'ecs.kcloud.io',
  version: 'v1alpha1',
  kind: 'Host',
  plural: 'hosts',
  shortNames: ['host'],
  scope: 'Cluster',
  description:
    'Host is a hypervisor host that runs instances. The kcloud-agent on the host registers it and reports what the machine is; the manager marks it Ready while the agent heartbeats, and Unknown once the heartbeat is lost. Cordon a host with spec.unschedulable.',
  spec: Type.Object(
    {
      unschedulable: Type.Optional(
        Type.Boolean({
          description:
            'Cordon: when true, no new instance or volume is placed on this host; what runs there keeps running.',
          default: false,
        }),
      ),
    },
    { description: 'HostSpec is what the operator of the cloud decides about a host.' },
  ),
  status: Type.Object(
    {
      phase: Type.Optional(
        Phase(
          ['Pending', 'Ready', 'NotReady', 'Unknown'],
          'One-word summary, set by the manager: Pending (no heartbeat or report yet), Ready, NotReady (the agent reports a problem) or Unknown (the heartbeat is lost).',
        ),
      ),
      observedGeneration: Type.Optional(ObservedGeneration()),
      conditions: Type.Optional(
        Conditions(
          'Conditions, one per type, each written by its owner: AgentReady by the agent; Ready (heartbeat fresh and AgentReady) and Schedulable (Ready and not cordoned) by the manager.',
        ),
      ),
      capacity: Type.Optional(Resources('the machine has')),
      allocatable: Type.Optional(
        Resources(
          'that instances may use: vCPUs times the agent’s --cpu-overcommit, memory less its --reserved-memory',
        ),
      ),
      cpu: Type.Optional(
        Type.Object(
          {
            model: Type.String({ description: 'CPU model name, from /proc/cpuinfo.' }),
            arch: StringEnum(['x86_64', 'aarch64', 'other'], {
              description: 'CPU architecture: x86_64, aarch64, or other.',
            }),
          },
          { description: 'The host’s CPU.' },
        ),
      ),
      hypervisor: Type.Optional(
        StringEnum(['kvm', 'tcg'], {
          description:
            'How guests run here: kvm when a probe boot showed KVM usable, else tcg (emulation). Never decided by /dev/kvm existing alone.',
        }),
      ),
      agentVersion: Type.Optional(
        Type.String({ description: 'Version of the kcloud-agent reporting this host.' }),
      ),
      chassis: Type.Optional(
        Type.String({
          description:
            'The OVN chassis of this host: its Open vSwitch’s external_ids:system-id, the name its ovn-controller registers. Written by the agent’s ECS module, which reads it from the Open vSwitch its VMs are plugged into; absent when there is none, or it has no system-id. The ports of the interfaces of instances bound here are fenced to it.',
          pattern: chassisNamePattern,
        }),
      ),
      storagePools: Type.Optional(
        Type.Array(StoragePoolOnHost, {
          description: 'The storage pools this host reaches, written by the agent’s EVS module.',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
        }),
      ),
    },
    { description: 'HostStatus is what the agent, its modules and the manager observed.' },
  ),
  printerColumns: [
    readyColumn(),
    {
      name: 'Hypervisor',
      type: 'string',
      jsonPath: '.status.hypervisor',
      description: 'kvm or tcg.',
    },
    {
      name: 'vCPU',
      type: 'integer',
      jsonPath: '.status.allocatable.vcpu',
      description: 'Allocatable virtual CPUs.',
    },
    {
      name: 'Memory',
      type: 'string',
      jsonPath: '.status.allocatable.memory',
      description: 'Allocatable memory.',
    },
    {
      name: 'Schedulable',
      type: 'string',
      jsonPath: '.status.conditions[?(@.type=="Schedulable")].status',
      description: 'Whether new work may be placed here: Ready and not cordoned.',
    },
  ],
  source: import.meta.url,
});

export type HostSpec = SpecOf<typeof Host>;
export type HostStatus = StatusOf<typeof Host>;
export type HostObject = ObjectOf<typeof Host>;
