import { runTool } from '../cluster/run-tool.ts';
import { ovsEnv } from './env.ts';
import type { OvnLayout } from './layout.ts';
import { ovnTool } from './install.ts';
import type { OvnTool, ToolResolver } from './tools.ts';

export interface CtlResult {
  stdout: string;
  stderr: string;
  /** The exit code; 1 as well when the command was killed for running too long. */
  code: number;
}

export interface CtlOptions {
  /**
   * How long the tool may wait for a database or daemon that does not answer. Without a
   * limit, ovn-nbctl and friends retry a missing socket forever.
   */
  timeoutSeconds?: number;
  /**
   * Another remote for nbctl, sbctl or vsctl, such as the TCP one of `connection()`; the
   * instance's unix socket when not given.
   */
  db?: string;
}

export interface Command {
  file: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** A backstop for tools without a --timeout of their own (ovn-trace). */
  killAfterMs: number;
}

const defaultTimeoutSeconds = 10;

export type CtlTool = 'nbctl' | 'sbctl' | 'vsctl' | 'trace' | 'appctl';

/** The command line for one ctl tool against this instance: its --db or target, its env. */
export function ctlCommand(
  layout: OvnLayout,
  which: CtlTool,
  args: string[],
  opts: CtlOptions & { target?: string } = {},
  tool: ToolResolver = ovnTool,
): Command {
  const seconds = opts.timeoutSeconds ?? defaultTimeoutSeconds;
  const timeout = `--timeout=${String(seconds)}`;
  const env = ovsEnv(layout);
  const killAfterMs = (seconds + 5) * 1000;
  const make = (name: OvnTool, prefix: string[]): Command => ({
    file: tool(name).file,
    args: [...tool(name).args, ...prefix, ...args],
    env,
    killAfterMs,
  });
  switch (which) {
    case 'nbctl':
      return make('ovn-nbctl', [`--db=${opts.db ?? `unix:${layout.nb.socket}`}`, timeout]);
    case 'sbctl':
      return make('ovn-sbctl', [`--db=${opts.db ?? `unix:${layout.sb.socket}`}`, timeout]);
    case 'vsctl':
      return make('ovs-vsctl', [`--db=${opts.db ?? `unix:${layout.vswitch.socket}`}`, timeout]);
    case 'trace':
      return make('ovn-trace', [`--db=unix:${layout.sb.socket}`]);
    case 'appctl': {
      if (!opts.target) throw new Error('appctl needs a target control socket');
      return make('ovn-appctl', [`--target=${opts.target}`, timeout]);
    }
  }
}

/** Runs a command to completion; never rejects, the exit code tells. */
export async function run(command: Command): Promise<CtlResult> {
  const { stdout, stderr, code } = await runTool(command.file, command.args, {
    env: command.env,
    killAfterMs: command.killAfterMs,
  });
  return { stdout, stderr, code };
}

/** ovn-nbctl against this instance's northbound database. */
export function nbctl(layout: OvnLayout, args: string[], opts?: CtlOptions): Promise<CtlResult> {
  return run(ctlCommand(layout, 'nbctl', args, opts));
}

/** ovn-sbctl against this instance's southbound database. */
export function sbctl(layout: OvnLayout, args: string[], opts?: CtlOptions): Promise<CtlResult> {
  return run(ctlCommand(layout, 'sbctl', args, opts));
}

/** ovs-vsctl against this instance's Open vSwitch database (data plane only). */
export function vsctl(layout: OvnLayout, args: string[], opts?: CtlOptions): Promise<CtlResult> {
  return run(ctlCommand(layout, 'vsctl', args, opts));
}

/** ovn-trace against this instance's southbound database. */
export function trace(layout: OvnLayout, args: string[], opts?: CtlOptions): Promise<CtlResult> {
  return run(ctlCommand(layout, 'trace', args, opts));
}

/** ovn-appctl to one daemon of this instance, addressed by its control socket. */
export function appctl(
  layout: OvnLayout,
  target: string,
  args: string[],
  opts?: CtlOptions,
): Promise<CtlResult> {
  return run(ctlCommand(layout, 'appctl', args, { ...opts, target }));
}

/** The output of a command that must succeed. */
export async function check(result: Promise<CtlResult>, what: string): Promise<string> {
  const r = await result;
  if (r.code !== 0) throw new Error(`${what} failed (exit ${String(r.code)}): ${r.stderr.trim()}`);
  return r.stdout;
}
