// What a product operator hands the manager: its name, its RBAC, the command-line flags it
// reads, how it turns their values into its settings, and how it registers its controllers.
// The manager knows no product's settings: it merges every operator's flags, refuses unknown
// ones and prints them all in --help.
import type { CreateFinalizer } from '../admission/index.ts';
import type { Manager } from './manager.ts';
import type { PolicyRule } from './rbac.ts';

/** One flag, as node:util parseArgs takes it, with the line --help prints for it. */
export type FlagSpec =
  | { type: 'string'; default?: string; description: string }
  | { type: 'boolean'; default?: boolean; description: string };

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

/** The parsed command line: every flag's value, by name without dashes. */
export type FlagValues = Readonly<Record<string, string | boolean | undefined>>;

export interface Operator<Config = unknown> {
  name: string;
  /** Hosted only when named in --operators, never by "all". */
  testOnly?: boolean;
  /** The RBAC rules the operator needs, beyond the manager's own (docs/rbac.md lists them). */
  rbac: PolicyRule[];
  /**
   * Its finalizer, for the API server to put on at create where kcloud installs the policy
   * (controllers/admission): the chart and make demo do, for every operator that runs.
   */
  createFinalizer?: CreateFinalizer;
  /** The flags the operator reads; accepted whether or not the operator is selected. */
  flags: FlagSpecs;
  /** Turns the parsed flags into the operator's settings; throws an Error naming a bad flag. */
  configure(values: FlagValues): Config;
  register(mgr: Manager, config: Config): void;
}

/** A string flag's value: its default when it has one, else '' when not given. */
export function stringFlag(values: FlagValues, name: string): string {
  const v = values[name];
  return typeof v === 'string' ? v : '';
}
