// ECS on a host: the module kcloud-agent runs (operators/ecs/index.ts is the manager's side).
export { ecsHostModule, registerEcsAgent } from './ecs-host-module.ts';
