export {
  down,
  importGoImage,
  nodeComponents,
  nodeReady,
  nodeStatus,
  readNodeState,
  up,
  type NodeComponent,
  type NodeInfo,
  type NodeState,
} from './node.ts';
export {
  devNodeLayout,
  nodeBinary,
  nodeLayout,
  nodeNetwork,
  pauseImage,
  type NodeLayout,
  type NodeNetwork,
} from './layout.ts';
export { dockerArchive, tarArchive } from './image.ts';
