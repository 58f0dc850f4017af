// An image's tag says which tree it was built from: the commit, and whether tracked files differ.
import { repoRoot } from '../cluster/layout.ts';
import { toolOutput } from '../cluster/run-tool.ts';

function git(repo: string, args: string[]): Promise<string> {
  return toolOutput('git', args, { cwd: repo, failureHint: `in ${repo}` });
}

/**
 * `git rev-parse --short=12 HEAD`, with `-dirty` when a tracked file differs from HEAD; new
 * untracked files do not count, so the same commit and edits give the same tag.
 */
export async function imageTag(repo: string = repoRoot): Promise<string> {
  const commit = (await git(repo, ['rev-parse', '--short=12', 'HEAD'])).trim();
  const changes = await git(repo, ['status', '--porcelain', '--untracked-files=no']);
  return changes.trim() === '' ? commit : `${commit}-dirty`;
}

/** What a registry accepts as a tag. */
export function validTag(tag: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag);
}

/** A registry host (with an optional port) and an optional path: `kcloud.local`, `host:5000/team`. */
export function validRegistry(registry: string): boolean {
  return /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/.test(registry);
}
