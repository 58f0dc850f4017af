export {
  cephDown,
  cephInfo,
  cephStatus,
  cephUp,
  type CephInfo,
  type CephRunOptions,
  type CephStatus,
  type CephUpOptions,
  type Log,
} from './ceph.ts';
export {
  adminEnv,
  ceph,
  cephArgs,
  cephJson,
  clientArgs,
  rbd,
  type CephCommandOptions,
  type CephEnv,
} from './client.ts';
export { monAddrVec, type MonPorts } from './config.ts';
export { componentOrder, daemonName, type ComponentName } from './components.ts';
export { cephEnvVars } from './env.ts';
export { cephReadiness, type CephReadiness } from './health.ts';
export { cephLayout, cephLayoutFromEnv, devCephLayout, type CephLayout } from './layout.ts';
export {
  createClientUser,
  createPool,
  deleteClientUser,
  deletePool,
  type ClientUser,
  type PoolOptions,
} from './pools.ts';
export { readState, type CephState } from './state.ts';
