export {
  rejection,
  statusCode,
  statusMessage,
  TestCluster,
  useTestCluster,
  type ObjectRef,
} from './kube.ts';
export { applyYaml, parseYaml, serverSideApply } from './apply.ts';
export { applyCrds, readYamlFile } from './crds.ts';
export { waitFor, type WaitOptions } from './wait.ts';
export { startManager, tempDir, type RunningManager } from './manager.ts';
export { readyz, spawnManager, stopIfRunning, type ManagerProcess } from './processes.ts';
