// The HTTPS server the API server calls: express, an AdmissionReview in, one out. Its
// certificate can be swapped while it serves (rotation).
import { createServer, type Server } from 'node:https';

/** How long the webhook keeps an idle connection: longer than the API server's 90 s. */
export const webhookKeepAliveMs = 120_000;
import express from 'express';
import type { Logger } from '../../../controllers/logging/logger.ts';
import type { AdmissionDecision, AdmissionRequest } from './admission.ts';
import { admissionPath } from './webhook-configuration.ts';
import { close, listen } from '../serving/listen.ts';

export interface AdmissionServer {
  port: number;
  setCertificate(cert: { cert: string; key: string }): void;
  close(): Promise<void>;
}

export async function startAdmissionServer(opts: {
  host: string;
  port: number;
  cert: string;
  key: string;
  admit: (req: AdmissionRequest) => Promise<AdmissionDecision>;
  log: Logger;
}): Promise<AdmissionServer> {
  const app = express();
  app.disable('x-powered-by');
  app.post(admissionPath, express.json({ limit: '8mb' }), async (req, res) => {
    const review = req.body as { apiVersion?: string; request?: AdmissionRequest };
    const request = review.request;
    if (!request?.uid) {
      res.status(400).json({ message: 'expected an AdmissionReview with a request' });
      return;
    }
    let decision: AdmissionDecision;
    try {
      decision = await opts.admit(request);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      opts.log.error('quota admission failed', { uid: request.uid, error: message });
      decision = { allowed: false, message: `quota admission failed: ${message}` };
    }
    res.json({
      apiVersion: review.apiVersion ?? 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: {
        uid: request.uid,
        allowed: decision.allowed,
        ...(decision.allowed
          ? {}
          : { status: { code: 403, reason: 'Forbidden', message: decision.message } }),
      },
    });
  });
  const server: Server = createServer({ cert: opts.cert, key: opts.key }, app);
  // The API server keeps idle connections to a webhook for 90 s (Go's IdleConnTimeout as
  // Kubernetes sets it) and does not send a POST again on a connection that was closed under it.
  // Node closes an idle one after 5 s, so a create could meet a connection closing that very
  // moment and fail with "connection reset by peer" (the quota benchmark did, at 8 clients):
  // the webhook keeps them longer than the API server does.
  server.keepAliveTimeout = webhookKeepAliveMs;
  server.headersTimeout = webhookKeepAliveMs + 5_000;
  const port = await listen(server, opts.host, opts.port);
  return {
    port,
    setCertificate: (c) => {
      server.setSecureContext({ cert: c.cert, key: c.key });
    },
    close: () => close(server),
  };
}
