export {
  up,
  down,
  status,
  connection,
  connectionFor,
  startComponent,
  stopComponent,
  tail,
  type Log,
  type OvnConnection,
  type OvnInfo,
  type OvnStatus,
  type OvsdbRemotes,
  type RunOptions,
  type UpOptions,
} from './ovn.ts';
export { readState, dataPlaneNetns, type OvnState } from './state.ts';
export { componentOrder, type ComponentName, type OvnOptions, type Ports } from './components.ts';
export { appctl, nbctl, sbctl, trace, vsctl, type CtlOptions, type CtlResult } from './ctl.ts';
export { instanceVars, ovsEnv } from './env.ts';
export { controllerCtl, devOvnLayout, ovnLayout, type OvnLayout } from './layout.ts';
export { listDbs, type OvsdbEndpoint } from './ovsdb.ts';
export { freshPortsAvoiding } from './ports.ts';
export { findTool, searchDirs, type OvnTool, type Tool } from './tools.ts';
export {
  ovnTool,
  ovnVersion,
  selectedInstall,
  trixieRoot,
  type OvnInstall,
  type OvnVersion,
} from './install.ts';
export { chassisRegistered } from './probes.ts';
export { upChassis, type ChassisOptions } from './chassis.ts';
export { downChassis, type ChassisDownOptions } from './chassis-down.ts';
export { chassisLayout, type Chassis, type ChassisRef } from './chassis-layout.ts';
export {
  hubAddress,
  routesUnderlay,
  underlayBridge,
  underlayLinks,
  underlayMtu,
} from './underlay.ts';
export { guestLinks, startGuest, type ExecResult, type Guest, type GuestOptions } from './guest.ts';
export {
  addProviderNetwork,
  linkProviderNetwork,
  providerLink,
  providerNetworkArgs,
  type ProviderNetwork,
} from './provider-network.ts';
export {
  killMember,
  parseClusterStatus,
  raftLeader,
  remotesOf,
  restartMember,
  startClusteredCentral,
  startRaftCluster,
  stopClusteredCentral,
  stopRaftCluster,
  waitLeader,
  type ClusteredCentral,
  type RaftCluster,
  type RaftMember,
  type RaftStatus,
} from './raft.ts';
export {
  AttemptLog,
  answerScript,
  firstAnswer,
  missesBetween,
  parseAttempt,
  Prober,
  proberScript,
  type Attempt,
} from './prober.ts';
