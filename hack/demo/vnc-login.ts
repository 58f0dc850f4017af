// A VNC client that only logs in (RFB 3.8, VNC authentication): what a viewer does with the
// instance's password, for `node hack/demo/cli.ts vnc` and the tests. QEMU listens on
// 127.0.0.1 of the network namespace it runs in (its agent's), so this file runs there
// (`nsenter --net=/proc/<QEMU's pid>/ns/net node vnc-login.ts host:port password`).
// VNC authentication is DES of the server's challenge keyed by the password with each byte's
// bits reversed; this OpenSSL offers single DES only through the legacy provider, so it is
// three-key 3DES with the same key three times, which is DES.
import { execFile } from 'node:child_process';
import { createCipheriv } from 'node:crypto';
import { connect } from 'node:net';
import { promisify } from 'node:util';

const reverseBits = (b: number) => {
  let r = 0;
  for (let i = 0; i < 8; i++) r |= ((b >> i) & 1) << (7 - i);
  return r;
};

export function vncResponse(challenge: Buffer, password: string): Buffer {
  const key = Buffer.alloc(8);
  Buffer.from(password, 'latin1').copy(key, 0, 0, 8);
  const k = Buffer.from(key.map(reverseBits));
  const des = createCipheriv('des-ede3-ecb', Buffer.concat([k, k, k]), null);
  des.setAutoPadding(false);
  return Buffer.concat([des.update(challenge), des.final()]);
}

/** Logs in; resolves with the server's SecurityResult (0: accepted) and its reason. */
function login(endpoint: string, password: string): Promise<{ result: number; reason: string }> {
  const [host = '127.0.0.1', port = '5900'] = endpoint.split(':');
  return new Promise((resolve, reject) => {
    const s = connect(Number(port), host);
    let buf = Buffer.alloc(0);
    let step = 0;
    s.setTimeout(10_000, () => s.destroy(new Error('VNC: no answer in 10 s')));
    s.on('error', reject);
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (step === 0 && buf.length >= 12) {
        if (!buf.subarray(0, 4).equals(Buffer.from('RFB '))) reject(new Error('not RFB'));
        s.write('RFB 003.008\n');
        buf = buf.subarray(12);
        step = 1;
      }
      if (step === 1 && buf.length >= 1 && buf.length >= 1 + (buf[0] ?? 0)) {
        const types = [...buf.subarray(1, 1 + (buf[0] ?? 0))];
        if (!types.includes(2))
          reject(new Error(`no VNC authentication offered: ${types.join(',')}`));
        s.write(Buffer.from([2]));
        buf = buf.subarray(1 + (buf[0] ?? 0));
        step = 2;
      }
      if (step === 2 && buf.length >= 16) {
        s.write(vncResponse(buf.subarray(0, 16), password));
        buf = buf.subarray(16);
        step = 3;
      }
      if (step === 3 && buf.length >= 4) {
        const result = buf.readUInt32BE(0);
        const n = buf.length >= 8 ? buf.readUInt32BE(4) : 0;
        if (result !== 0 && buf.length < 8 + n) return;
        s.destroy();
        resolve({ result, reason: result === 0 ? '' : buf.subarray(8, 8 + n).toString() });
      }
    });
  });
}

/** Logs in to a VNC server listening inside the network namespace `netns`. */
export async function vncLogin(
  netns: string,
  endpoint: string,
  password: string,
): Promise<{ result: number; reason: string }> {
  const { stdout } = await promisify(execFile)(
    'nsenter',
    [`--net=${netns}`, '--', process.execPath, import.meta.filename, endpoint, password],
    { timeout: 20_000 },
  );
  return JSON.parse(stdout) as { result: number; reason: string };
}

if (process.argv[1] === import.meta.filename) {
  const [endpoint = '', password = ''] = process.argv.slice(2);
  login(endpoint, password).then(
    (r) => {
      process.stdout.write(JSON.stringify(r) + '\n');
    },
    (err: unknown) => {
      process.stderr.write(`${String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
