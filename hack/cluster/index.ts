export {
  up,
  down,
  status,
  readState,
  stopComponent,
  startComponent,
  serverVersion,
  type ClusterInfo,
  type ClusterState,
} from './cluster.ts';
export type { ComponentName } from './components.ts';
export { binary, binDir, devLayout, repoRoot, runLayout, type RunLayout } from './layout.ts';
export { residentBytes, type RecordedProcess } from './processes.ts';
