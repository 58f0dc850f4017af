// Starting and stopping the platform's HTTPS servers (the quota webhook, the audit API).
import type { Server } from 'node:https';

/** Listens on host:port (0: a free port) and returns the port. */
export async function listen(server: Server, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return typeof address === 'object' && address ? address.port : port;
}

/** Stops accepting and drops the open connections (the API server's idle keep-alives too). */
export function close(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
    server.closeAllConnections();
  });
}
