import type { MonitorRequests, OvsdbClient, nb } from '../../../../controllers/ovsdb/index.ts';
import type { ACL } from '../../../../controllers/ovsdb/nb/tables.ts';
import type { Desired } from '../desired.ts';
import type { DesiredACL } from '../security-groups.ts';
import { ensurePortGroupACLs, ensureSwitchACLs, portGroupACLs } from './acl.ts';
import { deleteDhcpOptions, ensureDhcpOptions, type DesiredDhcpOptions } from './dhcp-options.ts';
import { deleteRouter, ensureRouter } from './logical-router.ts';
import {
  deleteRouterPort,
  ensureRouterPort,
  type DesiredRouterPort,
} from './logical-router-port.ts';
import { deleteSwitch, ensureSwitch } from './logical-switch.ts';
import {
  deleteRouterPoliciesOf,
  ensureRouterPolicies,
  type DesiredRouterPolicy,
} from './router-policy.ts';
import {
  deleteStaticRoutesOf,
  ensureStaticRoutes,
  type DesiredStaticRoute,
} from './static-route.ts';
import {
  deleteSwitchPort,
  ensureSwitchPort,
  type DesiredSwitchPort,
  type SwitchPortOptions,
} from './logical-switch-port.ts';
import { ownedRows, type ExternalIdsPredicate, type OwnedTable } from './owned.ts';
import { deleteQoSOf, ensureSwitchQoS, type DesiredQoS } from './qos.ts';
import { deleteNatsOf, ensureNats, type DesiredNat } from './nat.ts';
import { reportRefusals } from './refusals.ts';
import {
  addPortsToGroup,
  deletePortGroup,
  ensurePortGroup,
  removePortsFromGroup,
} from './port-group.ts';

/**
 * The VPC operator's view of the northbound database: idempotent helpers that read the
 * client's replica and write the difference in one transaction each. The client must monitor
 * `NbClient.monitoredTables`; it updates the replica before a transaction's reply (the server
 * sends the update first), so each helper's write is visible to the next one.
 */
export class NbClient {
  static readonly monitoredTables: readonly MonitorRequests<nb.Tables>[] = [
    { table: 'Logical_Router' },
    { table: 'Logical_Router_Port' },
    { table: 'Logical_Switch' },
    { table: 'Logical_Switch_Port' },
    { table: 'DHCP_Options' },
    { table: 'Port_Group' },
    { table: 'ACL' },
    { table: 'Logical_Router_Static_Route' },
    { table: 'Logical_Router_Policy' },
    { table: 'QoS' },
    { table: 'NAT' },
    { table: 'Load_Balancer' },
  ];

  readonly ovsdb: OvsdbClient<nb.Tables>;

  constructor(ovsdb: OvsdbClient<nb.Tables>) {
    this.ovsdb = reportRefusals(ovsdb);
  }

  ensureRouter(desired: Desired<nb.LogicalRouter> & { name: string }): Promise<string> {
    return ensureRouter(this.ovsdb, desired);
  }

  deleteRouter(name: string): Promise<boolean> {
    return deleteRouter(this.ovsdb, name);
  }

  ensureRouterPort(routerName: string, desired: DesiredRouterPort): Promise<string> {
    return ensureRouterPort(this.ovsdb, routerName, desired);
  }

  deleteRouterPort(routerName: string, portName: string): Promise<boolean> {
    return deleteRouterPort(this.ovsdb, routerName, portName);
  }

  ensureSwitch(desired: Desired<nb.LogicalSwitch> & { name: string }): Promise<string> {
    return ensureSwitch(this.ovsdb, desired);
  }

  deleteSwitch(name: string): Promise<boolean> {
    return deleteSwitch(this.ovsdb, name);
  }

  ensureSwitchPort(
    switchName: string,
    desired: DesiredSwitchPort,
    opts?: SwitchPortOptions,
  ): Promise<string> {
    return ensureSwitchPort(this.ovsdb, switchName, desired, opts);
  }

  deleteSwitchPort(switchName: string, portName: string): Promise<boolean> {
    return deleteSwitchPort(this.ovsdb, switchName, portName);
  }

  ensureDhcpOptions(desired: DesiredDhcpOptions): Promise<string> {
    return ensureDhcpOptions(this.ovsdb, desired);
  }

  deleteDhcpOptions(uid: string): Promise<boolean> {
    return deleteDhcpOptions(this.ovsdb, uid);
  }

  ensurePortGroup(
    name: string,
    externalIds: Record<string, string>,
    portUuids: readonly string[],
  ): Promise<string> {
    return ensurePortGroup(this.ovsdb, name, externalIds, portUuids);
  }

  addPortsToGroup(name: string, portUuids: readonly string[]): Promise<boolean> {
    return addPortsToGroup(this.ovsdb, name, portUuids);
  }

  removePortsFromGroup(name: string, portUuids: readonly string[]): Promise<boolean> {
    return removePortsFromGroup(this.ovsdb, name, portUuids);
  }

  deletePortGroup(name: string): Promise<boolean> {
    return deletePortGroup(this.ovsdb, name);
  }

  ensurePortGroupACLs(pgName: string, acls: readonly DesiredACL[]): Promise<boolean> {
    return ensurePortGroupACLs(this.ovsdb, pgName, acls);
  }

  ensureSwitchACLs(
    switchName: string,
    ownerUid: string,
    acls: readonly DesiredACL[],
  ): Promise<boolean> {
    return ensureSwitchACLs(this.ovsdb, switchName, ownerUid, acls);
  }

  ensureStaticRoutes(
    routerName: string,
    ownerUid: string,
    routes: readonly DesiredStaticRoute[],
  ): Promise<boolean> {
    return ensureStaticRoutes(this.ovsdb, routerName, ownerUid, routes);
  }

  deleteStaticRoutesOf(ownerUid: string): Promise<boolean> {
    return deleteStaticRoutesOf(this.ovsdb, ownerUid);
  }

  ensureRouterPolicies(
    routerName: string,
    ownerUid: string,
    policies: readonly DesiredRouterPolicy[],
  ): Promise<boolean> {
    return ensureRouterPolicies(this.ovsdb, routerName, ownerUid, policies);
  }

  deleteRouterPoliciesOf(ownerUid: string): Promise<boolean> {
    return deleteRouterPoliciesOf(this.ovsdb, ownerUid);
  }

  ensureSwitchQoS(
    switchName: string,
    ownerUid: string,
    rows: readonly DesiredQoS[],
  ): Promise<boolean> {
    return ensureSwitchQoS(this.ovsdb, switchName, ownerUid, rows);
  }

  deleteQoSOf(ownerUid: string): Promise<boolean> {
    return deleteQoSOf(this.ovsdb, ownerUid);
  }

  ensureNats(routerName: string, ownerUid: string, rows: readonly DesiredNat[]): Promise<boolean> {
    return ensureNats(this.ovsdb, routerName, ownerUid, rows);
  }

  deleteNatsOf(ownerUid: string): Promise<boolean> {
    return deleteNatsOf(this.ovsdb, ownerUid);
  }

  portGroupACLs(pgName: string): ACL[] {
    return portGroupACLs(this.ovsdb, pgName);
  }

  ownedRows<N extends OwnedTable>(table: N, predicate: ExternalIdsPredicate): nb.Tables[N][] {
    return ownedRows(this.ovsdb, table, predicate);
  }
}
