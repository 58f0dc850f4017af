// Runs an Argo CD health script in a real Lua 5.1 interpreter, the language version of the
// gopher-lua Argo CD embeds, and in the environment Argo CD gives it: `obj` as a global, only
// the base and table libraries (and a few os functions), and no string library, so a script
// that calls string methods fails here as it would in Argo CD.
import { spawn } from 'node:child_process';

export interface Health {
  status: string;
  message: string;
}

const interpreter = 'lua5.1';

/** A Lua expression for a JSON value; null becomes nil, as Argo CD decodes it. */
export function luaLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return luaString(value);
  if (Array.isArray(value)) return `{${value.map(luaLiteral).join(', ')}}`;
  const fields = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `[${luaString(k)}] = ${luaLiteral(v)}`);
  return `{${fields.join(', ')}}`;
}

function luaString(s: string): string {
  let out = '"';
  for (const ch of Buffer.from(s, 'utf8')) {
    if (ch === 0x22 || ch === 0x5c) out += `\\${String.fromCharCode(ch)}`;
    else if (ch >= 0x20 && ch < 0x7f) out += String.fromCharCode(ch);
    else out += `\\${String(ch)}`;
  }
  return `${out}"`;
}

function program(script: string, obj: unknown): string {
  return `
local obj = ${luaLiteral(obj)}
local chunk = assert(loadstring(${luaString(script)}, "=argocd-health.lua"))
local env = { obj = obj, table = table,
  os = { time = os.time, date = os.date, clock = os.clock, difftime = os.difftime } }
for _, name in ipairs({ "assert", "error", "ipairs", "next", "pairs", "pcall", "print",
    "rawequal", "rawget", "rawset", "select", "getmetatable", "setmetatable", "tonumber",
    "tostring", "type", "unpack", "xpcall" }) do
  env[name] = _G[name]
end
env._G = env
setfenv(chunk, env)
local strings = getmetatable("")
strings.__index = nil
local ok, hs = pcall(chunk)
strings.__index = string
if not ok then
  io.stderr:write(tostring(hs))
  os.exit(3)
end
if type(hs) ~= "table" then
  io.stderr:write("the script returned " .. type(hs) .. ", not a table")
  os.exit(4)
end
io.write(tostring(hs.status), "\\n", tostring(hs.message or ""))
`;
}

/** Evaluates the health script for one object; throws with Lua's error when it fails. */
export function evaluateHealth(script: string, obj: unknown): Promise<Health> {
  return new Promise((resolve, reject) => {
    const child = spawn(interpreter, ['-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'ENOENT'
          ? new Error(
              `${interpreter} is not installed: make setup installs it (Debian package lua5.1)`,
            )
          : err,
      );
    });
    child.on('close', (code) => {
      if (code !== 0) {
        reject(
          new Error(`the health script failed in ${interpreter} (exit ${String(code)}): ${stderr}`),
        );
        return;
      }
      const [status = '', ...message] = stdout.split('\n');
      resolve({ status, message: message.join('\n') });
    });
    child.stdin.end(program(script, obj));
  });
}
