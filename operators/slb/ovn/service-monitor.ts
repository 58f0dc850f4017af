// Members' health as OVN decides it: ovn-controller probes each backend of a load balancer with a
// health check and writes the verdict into the southbound Service_Monitor table, and the
// datapath stops sending new connections to an offline backend. Reading that table is all
// kcloud does; it never decides health itself.
import { OvsdbClient, type TlsFiles } from '../../../controllers/ovsdb/index.ts';
import type { Logger } from '../../../controllers/logging/logger.ts';

/** A row of the southbound Service_Monitor table (the columns read here). */
export interface ServiceMonitor {
  _uuid: string;
  ip: string;
  protocol?: 'tcp' | 'udp';
  port: number;
  logical_port: string;
  status?: 'online' | 'offline' | 'error';
}

export interface SouthboundTables {
  Service_Monitor: ServiceMonitor;
}

export class ServiceMonitors {
  private readonly client: OvsdbClient<SouthboundTables>;
  readonly ready: Promise<void>;

  constructor(opts: { endpoints: string[]; tls?: TlsFiles; log: Logger }) {
    this.client = OvsdbClient.connect<SouthboundTables>({
      endpoints: opts.endpoints,
      ...(opts.tls ? { tls: opts.tls } : {}),
      database: 'OVN_Southbound',
      log: opts.log,
    });
    this.ready = this.client.monitor([{ table: 'Service_Monitor' }]);
  }

  /** The verdict on one backend; undefined before the first probe ended. */
  health(protocol: 'tcp' | 'udp', ip: string, port: number): 'online' | 'offline' | undefined {
    const row = this.client.replica
      .table('Service_Monitor')
      .rows()
      .find((r) => r.ip === ip && r.port === port && (r.protocol ?? 'tcp') === protocol);
    if (!row?.status) return undefined;
    return row.status === 'online' ? 'online' : 'offline';
  }

  /** Calls back after every change of a verdict. */
  onChange(listener: () => void): void {
    this.client.replica.table('Service_Monitor').onChange(() => {
      listener();
    });
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
