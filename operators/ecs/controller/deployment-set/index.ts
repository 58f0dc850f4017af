// DeploymentSets in kcloud-manager: their status, summed from the instances naming them.
export {
  addDeploymentSetController,
  deploymentSetControllerName,
  type DeploymentSetControllerOptions,
} from './deployment-set-controller.ts';
export { setSpread, type Spread, type SpreadStatus } from './spread-status.ts';
