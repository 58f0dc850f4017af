// The dimensions a Quota limits and a Tenant reports: counts of objects, vCPUs, memory and
// storage per VolumeType. One schema for limits and for usage, so both read alike in kubectl.
import Type from 'typebox';
import { Quantity } from '../../../controllers/api/index.ts';

const Count = (what: string) =>
  Type.Optional(Type.Integer({ description: what, minimum: 0, maximum: 1_000_000_000 }));

/** Every dimension: a count of objects or an amount. Absent means unlimited (or none used). */
export function ResourceList(description: string) {
  return Type.Object(
    {
      instances: Count('ECS Instances.'),
      vcpu: Count('Virtual CPUs of ECS Instances (from their Flavor or inline resources).'),
      memory: Type.Optional(
        Quantity(
          'Memory of ECS Instances, a quantity such as 64Gi (from their Flavor or inline resources).',
        ),
      ),
      volumes: Count('EVS Volumes (boot volumes included).'),
      snapshots: Count('EVS VolumeSnapshots.'),
      storage: Type.Optional(
        Type.Record(
          Type.String(),
          Quantity('The size of Volumes of this VolumeType, a quantity such as 500Gi.'),
          {
            description:
              'Storage by VolumeType name: the sum of spec.size of the Volumes of that type (a Volume without volumeTypeRef counts under the default VolumeType).',
          },
        ),
      ),
      vpcs: Count('VPCs.'),
      subnets: Count('Subnets.'),
      securityGroups: Count('SecurityGroups.'),
      eips: Count('EIPs.'),
      loadBalancers: Count('SLB LoadBalancers.'),
    },
    { description },
  );
}
