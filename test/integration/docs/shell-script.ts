// Turns a documentation snippet into a bash script that runs it the way a user would, from the
// root of a checkout, with a few shims that keep it on the test's own cluster and OVN:
// - make: `make -n` (the target exists and its recipe expands; nothing is built or started);
// - kubectl: changes in the test's namespace are made (a walkthrough's later steps read them);
//   deletes, and changes in another namespace or across all (-A, then confined to the test's
//   namespace), go to the server as --dry-run=server; waits get a timeout;
// - node: a program with a health endpoint (kcloud-manager, kcloud-agent) runs through
//   run-daemon.ts: started, ready, stopped;
// - programs listed as not runnable here fail if a line reaches them anyway.
// Each command line is preceded by its line number, so a failure names it.
import path from 'node:path';
import {
  demoNamespace,
  expectedToFail,
  notRunHere,
  placeholders,
  type NotRunRule,
} from './command-rules.ts';
import type { CommandLine } from './markdown-commands.ts';

export interface ScriptLine extends CommandLine {
  /** Set when the line is not run: the rule's reason. */
  notRun?: NotRunRule;
  /** Set when the documentation shows the command failing. */
  mustFail?: NotRunRule;
}

/** A line without its comment (a `#` outside quotes, at the start or after a space). */
export function withoutComment(text: string): string {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '\\') i++;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1] ?? '')))
      return text.slice(0, i).trimEnd();
  }
  return text.trimEnd();
}

/** The command of a line without leading VAR=value assignments. */
export function commandOf(text: string): string {
  return text
    .trim()
    .replace(/^([A-Za-z_][A-Za-z0-9_]*=("[^"]*"|'[^']*'|\S*)\s+)+/, '')
    .trim();
}

/** The first line of a command (a here-document's body is not a command). */
const firstLine = (text: string) => text.split('\n')[0] ?? '';

function matchingRule(text: string, rules: readonly NotRunRule[]): NotRunRule | undefined {
  const command = commandOf(withoutComment(firstLine(text)));
  // A compound line (`for x in a; do skopeo ...; done`) counts by any of its commands.
  const parts = command.split(/;\s*|&&\s*|\|\|\s*|\|\s*|\bdo\s+|\bthen\s+|\$\(\s*/);
  return rules.find((r) => parts.some((p) => r.command.test(commandOf(p))));
}

/** The rule that keeps this line from running, if any. */
export function notRunRule(text: string): NotRunRule | undefined {
  return matchingRule(text, notRunHere);
}

/** The rule that says this line fails on purpose, if any. */
export function mustFailRule(text: string): NotRunRule | undefined {
  return matchingRule(text, expectedToFail);
}

/** Placeholders filled in, and the demo's namespace replaced by the test's. */
export function fillPlaceholders(text: string, namespace?: string): string {
  let out = text;
  for (const [name, value] of Object.entries(placeholders)) out = out.replaceAll(name, value);
  if (namespace) {
    out = out.replace(new RegExp(`(^|[\\s'"=])${demoNamespace}/`, 'g'), `$1${namespace}/`);
  }
  return out;
}

export function scriptLines(lines: readonly CommandLine[], namespace?: string): ScriptLine[] {
  return lines.map((l) => {
    const text = fillPlaceholders(l.text, namespace);
    const notRun = notRunRule(text);
    const mustFail = mustFailRule(text);
    return {
      line: l.line,
      text,
      ...(notRun ? { notRun } : {}),
      ...(mustFail ? { mustFail } : {}),
    };
  });
}

const mutatingVerbs = [
  'apply',
  'create',
  'delete',
  'patch',
  'replace',
  'edit',
  'label',
  'annotate',
  'scale',
  'set',
  'rollout',
  'taint',
  'drain',
  'cordon',
  'uncordon',
  'autoscale',
  'expose',
  'run',
];

function shims(runner: string): string {
  const blocked = [
    ...new Set(
      notRunHere
        .map((r) => /^\^([a-z][\w-]*)\\s/.exec(r.command.source)?.[1])
        .filter((n): n is string => n !== undefined),
    ),
  ];
  return `
set -eE -o pipefail
__doc_line=0
trap 'echo "@@docs-failed-line $__doc_line" >&2' ERR
make() { command make -n "$@" >/dev/null; }
kubectl() {
  local verb="" skip="" a
  for a in "$@"; do
    if [[ -n "$skip" ]]; then skip=""; continue; fi
    case "$a" in
      -n|--namespace|--context|--kubeconfig|-l|--selector|-o|--output) skip=1 ;;
      -*) ;;
      *) verb="$a"; break ;;
    esac
  done
  case " ${mutatingVerbs.join(' ')} " in
    *" $verb "*)
      # Changes in the test's namespace are made (later commands read them); a delete, or a
      # change in another namespace or across all of them, goes to the server as a dry run.
      local args=() a2 ns="" prev="" dry=""
      for a2 in "$@"; do
        case "$a2" in
          -A|--all-namespaces) args+=(-n "$KCLOUD_DOCS_NAMESPACE"); dry=1 ;;
          --namespace=*) ns="\${a2#--namespace=}"; args+=("$a2") ;;
          *) if [[ "$prev" == -n || "$prev" == --namespace ]]; then ns="$a2"; fi; args+=("$a2") ;;
        esac
        prev="$a2"
      done
      if [[ "$verb" == delete || -n "$dry" || ( -n "$ns" && "$ns" != "$KCLOUD_DOCS_NAMESPACE" ) ]]; then
        command kubectl "\${args[@]}" --dry-run=server
      else
        command kubectl "\${args[@]}"
      fi ;;
    *)
      if [[ "$verb" == wait && " $* " != *" --timeout"* ]]; then
        command kubectl "$@" --timeout=120s
      else
        command kubectl "$@"
      fi ;;
  esac
}
node() {
  if [[ -f "\${1:-}" ]] && grep -q -e "'health-addr'" -e "'--health-addr'" "$1"; then
    command node ${JSON.stringify(runner)} "$@"
  else
    command node "$@"
  fi
}
${blocked.map((b) => `${b}() { echo "${b} is listed as not runnable here, yet a command reached it" >&2; return 1; }`).join('\n')}
`;
}

const noMarkerBefore = /^\s*(?:(?:then|do)\b|\||&&|\)|;;)/;

/** The bash script for one snippet: shims, then each line after its line-number marker. */
export function bashScript(lines: readonly ScriptLine[], runner = runDaemonPath): string {
  const body = lines.map((l) => {
    const cmd = l.notRun
      ? ':'
      : l.mustFail
        ? `if ${l.text}\nthen echo "this command should fail (${l.mustFail.reason.replaceAll('"', "'")}) but it succeeded" >&2; false; fi`
        : l.text;
    return noMarkerBefore.test(l.text) ? cmd : `__doc_line=${String(l.line)}\n${cmd}`;
  });
  return `${shims(runner)}\n${body.join('\n')}\n`;
}

export const runDaemonPath = path.join(import.meta.dirname, 'run-daemon.ts');

/** The documentation line a failed script stopped at. */
export function failedLine(stderr: string): number | undefined {
  const m = /@@docs-failed-line (\d+)/.exec(stderr);
  return m ? Number(m[1]) : undefined;
}
