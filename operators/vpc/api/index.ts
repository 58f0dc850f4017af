export {
  NATGateway,
  type DnatRule,
  type NATGatewayObject,
  type NATGatewaySpec,
  type NATGatewayStatus,
  type SnatRule,
} from './nat-gateway.ts';
export {
  NetworkACL,
  type NetworkACLObject,
  type NetworkACLSpec,
  type NetworkACLStatus,
} from './network-acl.ts';
export {
  NetworkInterface,
  type NetworkInterfaceObject,
  type NetworkInterfaceSpec,
  type NetworkInterfaceStatus,
} from './network-interface.ts';
export {
  chassisNamePattern,
  isChassisName,
  requestedChassisAnnotation,
  requestedChassisOf,
} from './requested-chassis.ts';
export {
  RouteTable,
  type RouteTableObject,
  type RouteTableSpec,
  type RouteTableStatus,
} from './route-table.ts';
export {
  SecurityGroup,
  type SecurityGroupObject,
  type SecurityGroupRule,
  type SecurityGroupSpec,
  type SecurityGroupStatus,
} from './security-group.ts';
export { Subnet, type SubnetObject, type SubnetSpec, type SubnetStatus } from './subnet.ts';
export { VPC, type VPCObject, type VPCSpec, type VPCStatus } from './vpc.ts';
export {
  VPCPeering,
  type VPCPeeringObject,
  type VPCPeeringSpec,
  type VPCPeeringStatus,
} from './vpc-peering.ts';

import { NATGateway } from './nat-gateway.ts';
import { NetworkACL } from './network-acl.ts';
import { NetworkInterface } from './network-interface.ts';
import { RouteTable } from './route-table.ts';
import { SecurityGroup } from './security-group.ts';
import { Subnet } from './subnet.ts';
import { VPC } from './vpc.ts';
import { VPCPeering } from './vpc-peering.ts';

/** Every kind of the VPC product, for the CRD generator and RBAC. */
export const vpcKinds = [
  VPC,
  Subnet,
  NetworkInterface,
  SecurityGroup,
  NetworkACL,
  RouteTable,
  NATGateway,
  VPCPeering,
] as const;
