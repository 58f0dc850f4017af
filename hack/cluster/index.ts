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
export {
  awaitExit,
  hasExited,
  isExiting,
  isOurs,
  residentBytes,
  startDetached,
  stopProcess,
  type RecordedProcess,
} from './processes.ts';
export { freePort, portIsFree } from './ports.ts';
export { kubectl, kubectlOk, type KubectlResult } from './kubectl.ts';
export { runTool, toolOutput, type ToolOptions, type ToolResult } from './run-tool.ts';
export { processLine, runCli } from './run-cli.ts';
export { currentReadiness, type ObjectWithStatus, type Readiness } from './readiness.ts';
