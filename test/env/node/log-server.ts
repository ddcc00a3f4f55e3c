import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { type ContainerLog, formatLine, type LogLine, type LogQuery } from './container-log.js';

/** Finds the log of a container run: the current one, or the one before it for previous=true. */
export type LogLookup = (
  namespace: string,
  pod: string,
  container: string,
  previous: boolean,
) => ContainerLog | undefined;

export interface LogServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * The kubelet's log endpoint, `GET /containerLogs/{namespace}/{pod}/{container}`, over HTTPS on loopback. The API
 * server proxies pods/log here (node address and daemonEndpoints port), so `kubectl logs` works, with
 * follow, previous, timestamps, tailLines, limitBytes, sinceSeconds and sinceTime.
 */
export async function startLogServer(options: {
  certFile: string;
  keyFile: string;
  lookup: LogLookup;
}): Promise<LogServer> {
  const server = https.createServer(
    { cert: readFileSync(options.certFile), key: readFileSync(options.keyFile) },
    (req, res) => {
      const url = new URL(req.url ?? '/', 'https://node.invalid');
      const match = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
      if (req.method !== 'GET' || !match) {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
        return;
      }
      const [namespace, pod, container] = match.slice(1).map(decodeURIComponent) as [string, string, string];
      const params = url.searchParams;
      const log = options.lookup(namespace, pod, container, params.get('previous') === 'true');
      if (!log) {
        res
          .writeHead(404, { 'Content-Type': 'text/plain' })
          .end(`container "${container}" in pod "${pod}" has no log\n`);
        return;
      }
      const query: LogQuery = { timestamps: params.get('timestamps') === 'true' };
      const tail = params.get('tailLines');
      if (tail !== null) query.tailLines = Math.max(0, Number.parseInt(tail, 10) || 0);
      const limit = params.get('limitBytes');
      if (limit !== null) query.limitBytes = Math.max(1, Number.parseInt(limit, 10) || 1);
      const sinceSeconds = params.get('sinceSeconds');
      const sinceTime = params.get('sinceTime');
      if (sinceSeconds !== null)
        query.since = new Date(Date.now() - Number.parseInt(sinceSeconds, 10) * 1000);
      else if (sinceTime !== null) query.since = new Date(sinceTime);
      serve(log, query, params.get('follow') === 'true', res);
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function serve(
  log: ContainerLog,
  query: LogQuery,
  follow: boolean,
  res: import('node:http').ServerResponse,
): void {
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
  let remaining = query.limitBytes ?? Number.POSITIVE_INFINITY;
  // Returns false once the byte limit is reached, which ends the response as the kubelet does.
  const send = (line: LogLine): boolean => {
    const text = Buffer.from(formatLine(line, query.timestamps ?? false));
    if (text.length >= remaining) {
      res.write(text.subarray(0, remaining));
      remaining = 0;
      return false;
    }
    remaining -= text.length;
    res.write(text);
    return true;
  };
  for (const line of log.select(query)) {
    if (!send(line)) {
      res.end();
      return;
    }
  }
  if (!follow || log.isEnded) {
    res.end();
    return;
  }
  const onLine = (line: LogLine) => {
    if (!send(line)) finish();
  };
  const finish = () => {
    log.off('line', onLine);
    log.off('end', finish);
    res.end();
  };
  log.on('line', onLine);
  log.on('end', finish);
  res.on('close', () => {
    log.off('line', onLine);
    log.off('end', finish);
  });
}
