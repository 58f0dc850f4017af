// A stand-in agent for the re-adoption test: starts one VM through the runner, says so on
// stdout with QEMU's pid, and keeps its QMP connection open until it is killed.
// Usage: node start-vm-child.ts <stateDir> <vm.json text>
import { VmRunner, type VmDefinition } from '../../../../operators/ecs/backend/qemu/index.ts';

const [stateDir, defText] = process.argv.slice(2);
if (stateDir === undefined || defText === undefined) {
  process.stderr.write('usage: start-vm-child.ts <stateDir> <definition JSON>\n');
  process.exit(2);
}
const vm = await new VmRunner({ stateDir }).start(JSON.parse(defText) as VmDefinition, {
  vncPassword: 'child123',
});
process.stdout.write(`started ${String(vm.pid)}\n`);
setInterval(() => undefined, 60_000);
