// What a bench report says of the OVN it ran on, and the end of a log for a failure's message.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { ovnTool } from '../../hack/ovn/install.ts';

const execFileAsync = promisify(execFile);

async function firstLine(tool: 'ovn-northd' | 'ovs-vswitchd'): Promise<string> {
  const program = ovnTool(tool);
  const { stdout } = await execFileAsync(program.file, [...program.args, '--version']);
  return stdout.split('\n')[0]?.trim() ?? tool;
}

/** `OVN 23.03.1, Open vSwitch 3.1.0`: the versions of the OVN the bench started. */
export async function ovnVersions(): Promise<string> {
  const northd = (await firstLine('ovn-northd')).replace(/^ovn-northd\s+/, '');
  const ovs = (await firstLine('ovs-vswitchd')).replace(/^.*\)\s+/, '');
  return `OVN ${northd}, Open vSwitch ${ovs}`;
}

/** The last lines of a file; empty when it cannot be read. */
export async function tail(file: string, lines = 20): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
