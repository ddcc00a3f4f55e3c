/**
 * The operator's two HTTP listeners, as Trivy Operator's controller-runtime manager has them: Prometheus
 * `/metrics` on the metrics address (:8080) and `/healthz`, `/readyz` on the health-probe address (:9090).
 * The Helm chart probes `/healthz/` and `/readyz/`, so the trailing slash is accepted too. A probe answers
 * 200 "ok", or 503 with the reason the check gave.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { errorFields, type Logger } from '../k8s/logger.js';
import { parseBindAddress } from './config/bind-address.js';
import { writeMetricsText } from './metrics/stream.js';

/** true = healthy; false or a reason string = not (the string is sent in the 503 body). */
export type ProbeCheck = () => boolean | string;

export interface OperatorHttpServersOptions {
  /** Go listen address, e.g. ":8080", "127.0.0.1:0"; "0" or ":0" = an ephemeral port. */
  metricsAddress: string;
  healthAddress: string;
  registry: Registry;
  ready: ProbeCheck;
  live: ProbeCheck;
  logger: Logger;
}

export interface OperatorHttpServers {
  /** Listens on both addresses; resolves with the ports actually bound. */
  start(): Promise<{ metricsPort: number; healthPort: number }>;
  close(): Promise<void>;
}

function answer(
  response: http.ServerResponse,
  status: number,
  body: string,
  contentType = 'text/plain; charset=utf-8',
): void {
  response.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  response.end(body);
}

function probe(check: ProbeCheck, what: string): { status: number; body: string } {
  let result: boolean | string;
  try {
    result = check();
  } catch (error) {
    result = `${what} check failed: ${error instanceof Error ? error.message : String(error)}`;
  }
  if (result === true) return { status: 200, body: 'ok' };
  return { status: 503, body: typeof result === 'string' && result !== '' ? result : `not ${what}` };
}

export function createOperatorHttpServers(options: OperatorHttpServersOptions): OperatorHttpServers {
  const { registry, logger } = options;
  const metricsBind = parseBindAddress('metricsAddress', options.metricsAddress);
  const healthBind = parseBindAddress('healthAddress', options.healthAddress);

  const metricsServer = http.createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/metrics') return answer(response, 404, 'not found; metrics are at /metrics\n');
    if (request.method !== 'GET' && request.method !== 'HEAD') return answer(response, 405, 'use GET\n');
    if (request.method === 'HEAD') {
      response.writeHead(200, { 'Content-Type': registry.contentType });
      return response.end();
    }
    void streamMetrics(response).catch((error: unknown) => {
      logger.error('collecting metrics failed', errorFields(error));
      if (!response.headersSent)
        answer(
          response,
          500,
          `collecting metrics failed: ${error instanceof Error ? error.message : String(error)}\n`,
        );
      // Part of the answer is out: only a cut connection tells the scraper it is incomplete.
      else response.destroy();
    });
  });

  /**
   * Writes the answer as it is formatted (writeMetricsText), waiting for the socket to drain: a scrape of
   * 25,000 series never holds the whole text. Headers go out with the first chunk, so an error before it
   * can still be a 500.
   */
  async function streamMetrics(response: http.ServerResponse): Promise<void> {
    let gone = false;
    response.once('close', () => {
      gone = true;
    });
    await writeMetricsText(registry, (chunk) => {
      if (gone) return Promise.reject(new Error('the scraper closed the connection'));
      if (!response.headersSent) response.writeHead(200, { 'Content-Type': registry.contentType });
      if (response.write(chunk)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const onDrain = () => {
          response.off('close', onClose);
          resolve();
        };
        const onClose = () => {
          response.off('drain', onDrain);
          reject(new Error('the scraper closed the connection'));
        };
        response.once('drain', onDrain);
        response.once('close', onClose);
      });
    });
    response.end();
  }

  const healthServer = http.createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    let result: { status: number; body: string };
    if (path === '/healthz' || path === '/healthz/') result = probe(options.live, 'live');
    else if (path === '/readyz' || path === '/readyz/') result = probe(options.ready, 'ready');
    else return answer(response, 404, 'not found; probes are /healthz and /readyz\n');
    answer(response, result.status, result.body);
  });

  const listen = (server: http.Server, bind: { host: string | undefined; port: number }, name: string) =>
    new Promise<number>((resolve, reject) => {
      const onError = (error: Error) => {
        reject(
          new Error(`cannot listen for ${name} on ${bind.host ?? ''}:${bind.port}: ${error.message}`, {
            cause: error,
          }),
        );
      };
      server.once('error', onError);
      server.listen(bind.port, bind.host, () => {
        server.off('error', onError);
        resolve((server.address() as AddressInfo).port);
      });
    });

  const close = (server: http.Server) =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      server.closeAllConnections();
    });

  return {
    async start() {
      const metricsPort = await listen(metricsServer, metricsBind, 'metrics');
      let healthPort: number;
      try {
        healthPort = await listen(healthServer, healthBind, 'health probes');
      } catch (error) {
        await close(metricsServer);
        throw error;
      }
      logger.info('serving metrics and health probes', { metricsPort, healthPort });
      return { metricsPort, healthPort };
    },
    async close() {
      await Promise.all([close(metricsServer), close(healthServer)]);
    },
  };
}
