#!/usr/bin/env node
// Forwards TCP from the node's address to the local API server, which listens on loopback
// only: pods reach it as the `kubernetes` Service (10.96.0.1:443), whose endpoint is this
// listener. Bytes are passed through untouched, so TLS is between the pod and the API server
// (whose certificate names 10.96.0.1 and kubernetes.default.svc).
//
// usage: node hack/node/apiserver-proxy.ts LISTEN_HOST:PORT TARGET_HOST:PORT
import net from 'node:net';

function hostPort(text: string | undefined): { host: string; port: number } {
  const m = /^(.+):(\d+)$/.exec(text ?? '');
  if (!m?.[1] || !m[2]) throw new Error(`expected HOST:PORT, got "${text ?? ''}"`);
  return { host: m[1], port: Number(m[2]) };
}

const listen = hostPort(process.argv[2]);
const target = hostPort(process.argv[3]);

const server = net.createServer((client) => {
  const upstream = net.connect(target.port, target.host);
  client.pipe(upstream).pipe(client);
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close);
  upstream.on('error', close);
});
server.listen(listen.port, listen.host, () => {
  console.log(
    `forwarding ${listen.host}:${String(listen.port)} to ${target.host}:${String(target.port)}`,
  );
});
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.once(sig, () => {
    server.close();
    process.exit(0);
  });
}
