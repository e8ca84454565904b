import { createServer, type Server } from 'node:http';
import type { Logger } from '../logger.js';
import type { Metrics } from './metrics.js';

export interface MetricsServer {
  /** The port it listens on (METRICS_PORT=0 gets a free one). */
  port: number;
  close(): Promise<void>;
}

/**
 * `/metrics` in Prometheus' text format, on a listener of its own: the API's port never serves it, so putting
 * the API behind a public load balancer cannot publish it by accident.
 */
export async function serveMetrics(
  metrics: Metrics,
  { port, host }: { port: number; host: string },
  logger: Logger,
): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || new URL(req.url ?? '/', 'http://localhost').pathname !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: GET /metrics\n');
      return;
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      (error: unknown) => {
        logger.error({ err: error }, 'collecting metrics failed');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('collecting metrics failed\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
