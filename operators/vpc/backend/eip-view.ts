// An EIP (eip.kcloud.io) as a NATGateway reads it: its binding and what the EIP operator
// reports. The EIP product builds on VPC's kinds, so VPC reads EIPs as the API server stores
// them, with no import of that product (the two would import each other).
import type { KubeObject, ResourceRef } from '../../../controllers/kube/index.ts';

export interface EIPView extends KubeObject {
  spec: {
    binding?: {
      networkInterfaceRef?: { name: string };
      natGatewayRef?: { name: string };
    };
  };
  status?: {
    address?: string;
    /** `NATGateway/<name>` once the EIP operator has bound it. */
    boundTo?: string;
    observedGeneration?: number;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

export const eipResource: ResourceRef = {
  group: 'eip.kcloud.io',
  version: 'v1alpha1',
  plural: 'eips',
  kind: 'EIP',
  namespaced: true,
};
