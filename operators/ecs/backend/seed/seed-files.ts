// The files of a NoCloud seed (what cloud-init and the demo guest read from the disk labelled
// CIDATA): meta-data with the instance id and hostname, user-data with the platform's part (SSH
// keys, password) and the user's own user-data. Every value is checked and quoted here, so
// what a user gives can only ever be a value, never YAML structure.
import { SeedError } from './seed-error.ts';
import { yamlString } from './yaml-scalar.ts';

export interface SeedSpec {
  /** cloud-init's instance-id: a new one means a new instance (per-instance modules run again). */
  instanceId: string;
  hostname: string;
  /** authorized_keys lines, one key each. */
  sshAuthorizedKeys: string[];
  /** Plain-text password for the guest's default user (root in the demo guest). */
  password?: string | undefined;
  /** The user's own user-data: a `#cloud-config` document or a script starting with `#!`. */
  userData?: string | undefined;
}

export interface SeedFiles {
  'meta-data': string;
  'user-data': string;
}

export const limits = {
  keys: 100,
  keyBytes: 16 * 1024,
  passwordChars: 256,
  userDataBytes: 1024 * 1024,
} as const;

/** Kubernetes UIDs and names fit; nothing that needs quoting in a file name or a log. */
const instanceIdPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** RFC 1123 labels joined by dots, at most 63 characters (what sethostname and DHCP carry). */
const hostnamePattern =
  /^(?=.{1,63}$)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
// eslint-disable-next-line no-control-regex
const controlChars = /[\u0000-\u001f\u007f]/;
// eslint-disable-next-line no-control-regex
const nul = /\u0000/;
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const mimeBoundary = '==kcloud-seed-boundary==';

function check(spec: SeedSpec): void {
  if (!instanceIdPattern.test(spec.instanceId)) {
    throw new SeedError(
      `instance id ${JSON.stringify(spec.instanceId)} is not 1-128 letters, digits, dots, dashes or underscores`,
    );
  }
  if (!hostnamePattern.test(spec.hostname)) {
    throw new SeedError(
      `hostname ${JSON.stringify(spec.hostname)} is not a hostname: use up to 63 letters, digits, dashes and dots (RFC 1123 labels)`,
    );
  }
  if (spec.sshAuthorizedKeys.length > limits.keys) {
    throw new SeedError(
      `${String(spec.sshAuthorizedKeys.length)} SSH keys: at most ${String(limits.keys)}`,
    );
  }
  for (const [i, key] of spec.sshAuthorizedKeys.entries()) {
    if (key.trim() === '') throw new SeedError(`SSH key ${String(i + 1)} is empty`);
    if (controlChars.test(key)) {
      throw new SeedError(
        `SSH key ${String(i + 1)} holds a line break or another control character: an authorized_keys entry is one line`,
      );
    }
    if (loneSurrogate.test(key)) {
      throw new SeedError(`SSH key ${String(i + 1)} is not valid Unicode`);
    }
    if (Buffer.byteLength(key) > limits.keyBytes) {
      throw new SeedError(`SSH key ${String(i + 1)} is over ${String(limits.keyBytes)} bytes`);
    }
  }
  if (spec.password !== undefined) {
    if (spec.password === '') throw new SeedError('the password is empty: leave it out instead');
    if (controlChars.test(spec.password)) {
      throw new SeedError(
        'the password holds a line break or another control character, which no login prompt can type',
      );
    }
    if (loneSurrogate.test(spec.password)) throw new SeedError('the password is not valid Unicode');
    if (spec.password.length > limits.passwordChars) {
      throw new SeedError(`the password is over ${String(limits.passwordChars)} characters`);
    }
  }
  if (spec.userData !== undefined) {
    if (!/^(#cloud-config[ \t]*\r?\n|#cloud-config$|#!)/.test(spec.userData)) {
      throw new SeedError(
        'user-data must start with "#cloud-config" (a cloud-config document) or "#!" (a script)',
      );
    }
    if (nul.test(spec.userData)) throw new SeedError('user-data holds a NUL character');
    if (loneSurrogate.test(spec.userData)) throw new SeedError('user-data is not valid Unicode');
    if (Buffer.byteLength(spec.userData) > limits.userDataBytes) {
      throw new SeedError(`user-data is over ${String(limits.userDataBytes)} bytes`);
    }
  }
}

function metaData(spec: SeedSpec): string {
  return [
    `instance-id: ${yamlString(spec.instanceId)}`,
    `local-hostname: ${yamlString(spec.hostname)}`,
    '',
  ].join('\n');
}

/** The platform's cloud-config: the keys, and the password that does not expire. */
function platformConfig(spec: SeedSpec, merge: boolean): string {
  const lines = ['#cloud-config'];
  if (spec.sshAuthorizedKeys.length > 0) {
    lines.push(
      'ssh_authorized_keys:',
      ...spec.sshAuthorizedKeys.map((k) => `  - ${yamlString(k)}`),
    );
  }
  if (spec.password !== undefined) {
    lines.push(`password: ${yamlString(spec.password)}`, 'chpasswd:', '  expire: false');
  }
  // After the user's part: lists (keys) are added to the user's, not put in their place.
  if (merge) lines.push("merge_how: 'list(append)+dict(recurse_array)+str()'");
  return lines.join('\n') + '\n';
}

/** Base64 in lines of 76, as MIME has it: the user's bytes pass untouched, whatever they hold. */
function base64Lines(text: string): string {
  return (
    Buffer.from(text, 'utf8')
      .toString('base64')
      .match(/.{1,76}/g) ?? []
  ).join('\n');
}

/**
 * user-data: the platform's cloud-config alone, the user's user-data alone, or both as a MIME
 * multipart (cloud-init's way of giving several parts), the user's first.
 */
function userData(spec: SeedSpec): string {
  const platform = spec.sshAuthorizedKeys.length > 0 || spec.password !== undefined;
  if (spec.userData === undefined) return platformConfig(spec, false);
  if (!platform) return spec.userData;
  const userType = spec.userData.startsWith('#!') ? 'text/x-shellscript' : 'text/cloud-config';
  const part = (type: string, encoding: string, body: string) =>
    [
      `--${mimeBoundary}`,
      `Content-Type: ${type}; charset="utf-8"`,
      'MIME-Version: 1.0',
      `Content-Transfer-Encoding: ${encoding}`,
      '',
      body,
    ].join('\n');
  return (
    [
      `Content-Type: multipart/mixed; boundary="${mimeBoundary}"`,
      'MIME-Version: 1.0',
      '',
      part(userType, 'base64', base64Lines(spec.userData)),
      // The platform's part is ASCII (every value escaped) and never holds the boundary.
      part('text/cloud-config', '7bit', platformConfig(spec, true).trimEnd()),
      `--${mimeBoundary}--`,
    ].join('\n') + '\n'
  );
}

/** The seed's files for `spec`; a SeedError says what cannot be represented. */
export function seedFiles(spec: SeedSpec): SeedFiles {
  check(spec);
  return { 'meta-data': metaData(spec), 'user-data': userData(spec) };
}
