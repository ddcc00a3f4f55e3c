import { ConfigError } from './errors.js';

/** A listen address in Go's net.Listen form: ":8080" (all interfaces), "127.0.0.1:0", "[::1]:9090", "0". */
export interface BindAddress {
  /** undefined = every interface. */
  host: string | undefined;
  /** 0 = an ephemeral port (tests). */
  port: number;
}

/**
 * Parses OPERATOR_METRICS_BIND_ADDRESS / OPERATOR_HEALTH_PROBE_BIND_ADDRESS. Vigil reads a bare "0" as ":0"
 * (an ephemeral port) so tests can ask for one; controller-runtime reads "0" as "metrics off".
 */
export function parseBindAddress(key: string, value: string): BindAddress {
  const text = value.trim();
  const bad = (problem: string) =>
    new ConfigError(
      'INVALID',
      key,
      `${JSON.stringify(value)} ${problem}`,
      'write it as :8080, 127.0.0.1:8080 or [::1]:8080',
    );
  if (text === '0') return { host: undefined, port: 0 };
  const colon = text.lastIndexOf(':');
  if (colon < 0) throw bad('has no port');
  let host = text.slice(0, colon);
  const portText = text.slice(colon + 1);
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) throw bad('has no valid port');
  if (host.startsWith('[')) {
    if (!host.endsWith(']')) throw bad('has an unclosed [ in its host');
    host = host.slice(1, -1);
  } else if (host.includes(':')) {
    throw bad('has an IPv6 host without brackets');
  }
  return { host: host === '' ? undefined : host, port: Number(portText) };
}
