// The scan container's log → Trivy report. The container prints base64(gzip(JSON)) (scanJob.compressLogs) or
// plain JSON; pods/log can hand back less than was written (kubelet log rotation), so every failure says what
// arrived and what that likely means.
import { gunzipSync } from 'node:zlib';
import type { Report } from '../../report/index.js';

/** The log could not be read as a report. `received` describes the input (size and first bytes only). */
export class ScanOutputError extends Error {
  override readonly name = 'ScanOutputError';
  constructor(
    message: string,
    readonly received: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const ROTATION_HINT =
  'the log may have been cut by the kubelet (log rotation, containerLogMaxSize) or the scan did not finish writing';

/** Decodes a scan container's log (base64(gzip(Trivy JSON)) or plain Trivy JSON) into a report. */
export function decodeScanOutput(text: string): Report {
  const received = describe(text);
  const fail = (why: string, cause?: unknown) =>
    new ScanOutputError(`cannot read the scan output (${received}): ${why}`, received, { cause });
  const trimmed = text.trim();
  if (trimmed === '') throw fail('the log is empty; the scan container printed no report');
  if (trimmed.startsWith('{')) return parseReport(trimmed, fail, 'plain JSON');

  // Anything a scanner printed before the report (stray stderr lines) is left behind; the report is the last line.
  const lines = trimmed.split('\n').map((l) => l.trim());
  const joined = lines.join('');
  const candidate = BASE64.test(joined) ? joined : (lines.filter((l) => l !== '').at(-1) ?? '');
  if (!BASE64.test(candidate)) {
    throw fail('it is neither JSON nor base64; the scan container printed something else (see the log)');
  }
  if (candidate.length % 4 === 1) throw fail(`the base64 text is truncated; ${ROTATION_HINT}`);
  const bytes = Buffer.from(candidate, 'base64');
  if (bytes.subarray(0, 3).toString('latin1') === 'BZh') {
    throw fail("it is bzip2 (Trivy's scan image with compressLogs); vigil scan Jobs write gzip+base64");
  }
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) throw fail('the base64 text does not hold gzip data');
  let json: string;
  try {
    json = gunzipSync(bytes).toString('utf8');
  } catch (error) {
    const truncated = /unexpected end|incomplete|Z_BUF_ERROR/i.test(String((error as Error).message));
    throw fail(
      truncated
        ? `the gzip stream ends early; ${ROTATION_HINT}`
        : `the gzip data is corrupt (${(error as Error).message})`,
      error,
    );
  }
  return parseReport(json, fail, 'the decompressed text');
}

function parseReport(
  json: string,
  fail: (why: string, cause?: unknown) => ScanOutputError,
  what: string,
): Report {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw fail(`${what} is not complete JSON (${(error as Error).message}); ${ROTATION_HINT}`, error);
  }
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    typeof (value as { SchemaVersion?: unknown }).SchemaVersion !== 'number'
  ) {
    throw fail(`${what} is JSON but not a Trivy report (no SchemaVersion)`);
  }
  return value as Report;
}

/** "1234 bytes starting "H4sIAAAA…"" — never more than the first 32 characters. */
function describe(text: string): string {
  const head = text.slice(0, 32);
  return `${Buffer.byteLength(text, 'utf8')} bytes starting ${JSON.stringify(head)}${text.length > 32 ? '…' : ''}`;
}
