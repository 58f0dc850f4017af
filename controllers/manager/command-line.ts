// One command line from several owners' flags (a process's own, then each operator's or host
// module's): merged into one parseArgs table, refused when two owners declare one flag, and
// printed in one --help grouped by owner.
import { parseArgs } from 'node:util';
import type { FlagSpecs, FlagValues } from './operator.ts';

export interface FlagGroup {
  /** Who declares the flags: "kcloud-manager" or "the vpc operator". */
  owner: string;
  flags: FlagSpecs;
}

type ParseArgsOption =
  { type: 'string'; default?: string } | { type: 'boolean'; default?: boolean };

/** One parseArgs option table from every group; a flag declared twice stops the start. */
export function mergeFlags(groups: readonly FlagGroup[]): Record<string, ParseArgsOption> {
  const options: Record<string, ParseArgsOption> = {};
  const ownerOf = new Map<string, string>();
  for (const { owner, flags } of groups) {
    for (const [name, spec] of Object.entries(flags)) {
      const first = ownerOf.get(name);
      if (first !== undefined) {
        throw new Error(`--${name} is declared by both ${first} and ${owner}`);
      }
      ownerOf.set(name, owner);
      options[name] =
        spec.type === 'string'
          ? { type: 'string', ...(spec.default !== undefined ? { default: spec.default } : {}) }
          : { type: 'boolean', ...(spec.default !== undefined ? { default: spec.default } : {}) };
    }
  }
  return options;
}

/** The command line against every group's flags; an unknown flag or a stray argument stops it. */
export function parseFlags(args: string[], groups: readonly FlagGroup[]): FlagValues {
  return parseArgs({ args, options: mergeFlags(groups), strict: true }).values;
}

/** `--help` of `program`: every flag, grouped by who reads it, with its default and purpose. */
export function helpText(program: string, groups: readonly FlagGroup[]): string {
  const lines = [`usage: ${program} [--flag=value ...]`];
  for (const { owner, flags } of groups) {
    lines.push('', `${owner}:`);
    for (const [name, spec] of Object.entries(flags)) {
      const arg = spec.type === 'string' ? `--${name}=VALUE` : `--${name}`;
      const def =
        spec.default !== undefined && spec.default !== ''
          ? ` (default ${String(spec.default)})`
          : '';
      lines.push(`  ${arg.padEnd(34)} ${spec.description}${def}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
