// The audit API's HTTPS server: express, reads only, every request from the API server's
// aggregation layer (front-proxy.ts). Its serving certificate and the front-proxy CA can be
// swapped while it serves.
import { createServer, type Server } from 'node:https';
import type { TLSSocket } from 'node:tls';
import express, { type Request, type Response } from 'express';
import type { Logger } from '../../../../controllers/logging/logger.ts';
import type { AuditView } from '../audit-view.ts';
import type { ViewFilter } from '../view.ts';
import { close, listen } from '../../serving/listen.ts';
import { requester, type FrontProxy } from './front-proxy.ts';
import { BadRequest, viewFilter } from './query.ts';
import {
  apiGroup,
  apiGroupList,
  apiResourceList,
  auditGroup,
  auditGroupVersion,
  auditKind,
  auditPlural,
  status,
  toList,
  toObject,
  toTable,
  wantsTable,
} from './resource.ts';

export interface AuditApiServer {
  port: number;
  setCertificate(cert: { cert: string; key: string }): void;
  setFrontProxy(fp: FrontProxy): void;
  close(): Promise<void>;
}

export interface AuditApiServerOptions {
  host: string;
  port: number;
  cert: string;
  key: string;
  frontProxy: FrontProxy;
  read: (filter: ViewFilter) => Promise<AuditView>;
  log: Logger;
  now?: () => Date;
}

export async function startAuditApiServer(opts: AuditApiServerOptions): Promise<AuditApiServer> {
  let tls = { cert: opts.cert, key: opts.key };
  let fp = opts.frontProxy;
  const now = opts.now ?? (() => new Date());
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');

  app.use((req, res, next) => {
    const who = requester(req.socket as TLSSocket, req.headers, fp);
    if ('refused' in who) {
      opts.log.info('audit API request refused', { path: req.path, reason: who.refused });
      res.status(401).json(status(401, 'Unauthorized', who.refused));
      return;
    }
    next();
  });
  // Nothing but reads: RBAC can grant no more than get and list on the view.
  app.use((req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res
        .status(405)
        .json(
          status(
            405,
            'MethodNotAllowed',
            `the audit view is read-only: ${req.method} is not served`,
          ),
        );
      return;
    }
    next();
  });

  app.get('/apis', (_req, res) => {
    res.json(apiGroupList());
  });
  app.get(`/apis/${auditGroup}`, (_req, res) => {
    res.json(apiGroup());
  });
  app.get(`/apis/${auditGroupVersion}`, (_req, res) => {
    res.json(apiResourceList());
  });

  const answer = async (req: Request, res: Response, namespace: string, name?: string) => {
    if (req.query['watch'] === 'true' || req.query['watch'] === '1') {
      res.status(405).json(status(405, 'MethodNotAllowed', 'the audit view cannot be watched'));
      return;
    }
    let filter: ViewFilter;
    try {
      filter = viewFilter(req.query, namespace, now());
    } catch (err) {
      if (!(err instanceof BadRequest)) throw err;
      res.status(400).json(status(400, 'BadRequest', err.message));
      return;
    }
    let view: AuditView;
    try {
      view = await opts.read(filter);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      opts.log.error('audit log not read', { error: message });
      res.status(503).json(status(503, 'ServiceUnavailable', message));
      return;
    }
    const records =
      name === undefined ? view.records : view.records.filter((r) => r.auditID === name);
    if (name !== undefined && records[0] === undefined) {
      res.status(404).json({
        ...status(404, 'NotFound', `${auditPlural}.${auditGroup} "${name}" not found`),
        details: { name, group: auditGroup, kind: auditPlural },
      });
      return;
    }
    if (wantsTable(req.headers.accept)) res.json(toTable(records));
    else if (name !== undefined && records[0]) res.json(toObject(records[0]));
    else res.json(toList(records));
  };
  const base = `/apis/${auditGroupVersion}`;
  app.get(`${base}/${auditPlural}`, (req, res) => answer(req, res, ''));
  app.get(`${base}/namespaces/:namespace/${auditPlural}`, (req, res) =>
    answer(req, res, req.params.namespace),
  );
  app.get(`${base}/namespaces/:namespace/${auditPlural}/:name`, (req, res) =>
    answer(req, res, req.params.namespace, req.params.name),
  );
  app.use((req, res) => {
    res.status(404).json(status(404, 'NotFound', `${req.path}: not a path of ${auditKind}s`));
  });

  const server: Server = createServer(
    {
      ...tls,
      ca: fp.ca,
      // Checked per request (front-proxy.ts), with a Status in the answer, not at the handshake.
      requestCert: true,
      rejectUnauthorized: false,
    },
    app,
  );
  const port = await listen(server, opts.host, opts.port);
  const context = () => {
    server.setSecureContext({ ...tls, ca: fp.ca });
  };
  return {
    port,
    setCertificate: (c) => {
      tls = { cert: c.cert, key: c.key };
      context();
    },
    setFrontProxy: (next) => {
      fp = next;
      context();
    },
    close: () => close(server),
  };
}
