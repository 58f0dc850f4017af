// ECS on a host: the module kcloud-agent runs (operators/ecs/index.ts is the manager's side).
export { ecsHostModule, registerEcsAgent } from './ecs-host-module.ts';
/** QEMU's id of a volume's disk: how tests and tools find a disk in a VM. */
export { diskId } from './vm-spec.ts';
