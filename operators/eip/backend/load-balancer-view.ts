// A LoadBalancer (slb.kcloud.io) as an EIP bound to it reads it: the Subnet its VIP is in, which
// names its VPC. The SLB product reads EIPs, so EIP reads LoadBalancers as the API server stores
// them, with no import of that product (the two would import each other).
import type { KubeObject, ResourceRef } from '../../../controllers/kube/index.ts';

export interface LoadBalancerView extends KubeObject {
  spec: { subnetRef: { name: string } };
}

export const loadBalancerResource: ResourceRef = {
  group: 'slb.kcloud.io',
  version: 'v1alpha1',
  plural: 'loadbalancers',
  kind: 'LoadBalancer',
  namespaced: true,
};
