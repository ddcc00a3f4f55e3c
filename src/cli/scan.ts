import { writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { type Command, Option } from 'commander';
import { type Logger, type Platform, parsePlatform } from '../image/index.js';
import {
  createIgnoreMatcher,
  exitCodeFor,
  filterReport,
  IgnoreFileError,
  loadIgnoreFile,
  renderTable,
  writeJsonReport,
} from '../report/index.js';
import type { RemoteOptions } from '../rpc/index.js';
import {
  createImageScanner,
  createProgress,
  DEFAULT_CACHE_MAX_BYTES,
  parseGoDuration,
  ScanError,
} from '../scan/index.js';
import {
  DEFAULT_DB_REPOSITORIES,
  defaultCacheDir,
  SEVERITIES,
  STATUSES,
  type StatusName,
} from '../vulndb/index.js';
import { resolveDbRepositories } from './db-repositories.js';
import { UsageError } from './errors.js';
import { parseSize } from './server.js';
import { readPackageVersion } from './version.js';

interface ScanImageOptions {
  cacheDir: string;
  cacheMaxSize: string;
  skipDbUpdate: boolean;
  offlineScan: boolean;
  dbRepository: string[];
  format: 'table' | 'json';
  output?: string;
  outputEncoding: 'none' | 'gzip+base64';
  severity: string;
  ignoreUnfixed: boolean;
  ignoreStatus?: string;
  exitCode: string;
  exitOnEol: string;
  listAllPkgs: boolean;
  pkgTypes: string;
  scanners: string;
  vulnSeveritySource: string;
  platform?: string;
  input?: string;
  insecure: boolean;
  username?: string;
  password?: string;
  registryToken?: string;
  quiet: boolean;
  debug: boolean;
  timeout: string;
  server?: string;
  token?: string;
  tokenHeader: string;
  customHeaders: string[];
  ignorefile: string;
}

/**
 * `vigil scan image`: Trivy's `trivy image` in standalone mode. Flags have Trivy's names, meanings and
 * TRIVY_* environment defaults (TRIVY_SEVERITY, TRIVY_IGNORE_UNFIXED, TRIVY_CACHE_DIR, …), so a Trivy command
 * line, or a Trivy Operator scan Job's environment, works unchanged. Exit status: 0, the --exit-code value
 * when vulnerabilities remain after filtering, 1 on errors, 2 on bad usage.
 */
export function registerScanCommand(program: Command): void {
  const env = process.env;
  const str = (name: string) => env[name] || undefined;
  const bool = (name: string) => /^(1|t|true)$/i.test(env[name] ?? '');
  const scan = program.command('scan').description('scan artifacts for known vulnerabilities');

  scan
    .command('image')
    .description('scan a container image (from a registry, or --input) for known vulnerabilities')
    .argument('[image]', 'image reference, e.g. debian:12 or registry:5000/app@sha256:…')
    .addOption(
      new Option('--cache-dir <dir>', 'cache directory (DB in <dir>/db, layer cache in <dir>/fanal)').default(
        str('TRIVY_CACHE_DIR') ?? defaultCacheDir(env),
      ),
    )
    .addOption(
      new Option(
        '--cache-max-size <size>',
        'bound on the layer cache in <dir>/fanal, e.g. 512MiB, 2GiB ($VIGIL_CACHE_MAX_SIZE)',
      ).default(str('VIGIL_CACHE_MAX_SIZE') ?? `${DEFAULT_CACHE_MAX_BYTES / 1024 ** 3}GiB`),
    )
    .addOption(
      new Option('--skip-db-update', 'use the DB in the cache as it is (TRIVY_SKIP_DB_UPDATE)').default(
        bool('TRIVY_SKIP_DB_UPDATE'),
      ),
    )
    .addOption(
      new Option(
        '--offline-scan',
        'make no API requests to identify dependencies (vigil makes none; the DB is still updated unless --skip-db-update, as in Trivy)',
      ).default(bool('TRIVY_OFFLINE_SCAN')),
    )
    .addOption(
      new Option('--db-repository <ref>', 'OCI repository of trivy-db; repeat for fallbacks, tried in order')
        .argParser((value: string, previous: string[]) => [...previous, value])
        .default([], `$TRIVY_DB_REPOSITORY (comma-separated), else ${DEFAULT_DB_REPOSITORIES.join(', ')}`),
    )
    .addOption(
      new Option('-f, --format <format>', 'output format')
        .choices(['table', 'json'])
        .default(str('TRIVY_FORMAT') ?? 'table'),
    )
    .addOption(new Option('-o, --output <file>', 'write the report to a file').default(str('TRIVY_OUTPUT')))
    .addOption(
      // Scan Jobs hand the report back through the pod log: compressed it stays far below the kubelet's log
      // rotation size, and base64 keeps it one line of printable text.
      new Option(
        '--output-encoding <encoding>',
        'encoding of the report text: none, or gzip+base64 (gzip-compressed, then base64, as one line)',
      )
        .choices(['none', 'gzip+base64'])
        .default('none'),
    )
    .addOption(
      new Option('-s, --severity <list>', 'severities to report, comma-separated').default(
        str('TRIVY_SEVERITY') ?? SEVERITIES.join(','),
      ),
    )
    .addOption(
      new Option('--ignore-unfixed', 'report only vulnerabilities with a fix').default(
        bool('TRIVY_IGNORE_UNFIXED'),
      ),
    )
    .addOption(
      new Option('--ignore-status <list>', `statuses to leave out (${STATUSES.join(', ')})`).default(
        str('TRIVY_IGNORE_STATUS'),
      ),
    )
    .addOption(
      new Option(
        '--ignorefile <file>',
        'vulnerability IDs to leave out: .trivyignore lines, or .trivyignore.yaml with paths, purls and expired_at',
      ).default(str('TRIVY_IGNOREFILE') ?? '.trivyignore'),
    )
    .addOption(
      new Option('--exit-code <code>', 'exit status when vulnerabilities remain').default(
        str('TRIVY_EXIT_CODE') ?? '0',
      ),
    )
    .addOption(
      new Option('--exit-on-eol <code>', 'exit status when the OS is end of life').default(
        str('TRIVY_EXIT_ON_EOL') ?? '0',
      ),
    )
    .addOption(
      new Option('--list-all-pkgs [bool]', 'list every package in the JSON report, vulnerable or not')
        .argParser(parseBool('--list-all-pkgs'))
        .default(env.TRIVY_LIST_ALL_PKGS === undefined ? true : bool('TRIVY_LIST_ALL_PKGS')),
    )
    .addOption(
      new Option('--pkg-types <list>', 'package types to scan: os, library').default(
        str('TRIVY_PKG_TYPES') ?? 'os,library',
      ),
    )
    .addOption(
      new Option('--scanners <list>', 'what to look for (vigil finds vulnerabilities: vuln)').default(
        str('TRIVY_SCANNERS') ?? 'vuln',
      ),
    )
    .addOption(
      new Option('--vuln-severity-source <list>', 'where severities come from, in order ("auto")').default(
        str('TRIVY_VULN_SEVERITY_SOURCE') ?? 'auto',
      ),
    )
    .addOption(
      new Option('--platform <os/arch[/variant]>', 'platform of a multi-platform image').default(
        str('TRIVY_PLATFORM'),
      ),
    )
    .addOption(
      new Option(
        '--input <path>',
        'a docker save tar or an OCI layout (directory or tar) instead of a registry',
      ).default(str('TRIVY_INPUT')),
    )
    .addOption(
      new Option('--insecure', 'skip TLS verification and allow plain HTTP').default(bool('TRIVY_INSECURE')),
    )
    .option('--username <username>', 'registry username (default $TRIVY_USERNAME)')
    .option('--password <password>', 'registry password (default $TRIVY_PASSWORD)')
    .option('--registry-token <token>', 'bearer token for the registry (default $TRIVY_REGISTRY_TOKEN)')
    .addOption(
      new Option('-q, --quiet', 'no progress and no log lines, only errors').default(bool('TRIVY_QUIET')),
    )
    .addOption(new Option('-d, --debug', 'debug log lines on stderr').default(bool('TRIVY_DEBUG')))
    .addOption(
      new Option('--timeout <duration>', 'give up after this long (Go duration)').default(
        str('TRIVY_TIMEOUT') ?? '5m0s',
      ),
    )
    .addOption(
      new Option(
        '--server <url>',
        'client mode: analyse here, detect on this scan server (vigil or trivy server, http(s)://host:port)',
      ).default(str('TRIVY_SERVER')),
    )
    .addOption(
      new Option('--token <token>', "the scan server's token ($TRIVY_TOKEN)").default(str('TRIVY_TOKEN')),
    )
    .addOption(
      new Option('--token-header <name>', 'header carrying the token ($TRIVY_TOKEN_HEADER)').default(
        str('TRIVY_TOKEN_HEADER') ?? 'Trivy-Token',
      ),
    )
    .addOption(
      new Option('--custom-headers <name:value>', 'extra header for the scan server; repeat for more')
        .argParser((value: string, previous: string[]) => [...previous, value])
        .default(
          (str('TRIVY_CUSTOM_HEADERS') ?? '')
            .split(',')
            .map((h) => h.trim())
            .filter((h) => h !== ''),
          '$TRIVY_CUSTOM_HEADERS (comma-separated)',
        ),
    )
    .action(async (image: string | undefined, options: ScanImageOptions) => {
      const settings = validate(image, options, env);
      const logger = stderrLogger(options.quiet, options.debug);
      // Read before the scan: a malformed ignore file fails at once, not after minutes of work.
      let ignore: ReturnType<typeof createIgnoreMatcher> | undefined;
      try {
        const rules = await loadIgnoreFile(options.ignorefile, Date.now());
        if (rules.vulnerabilities.length > 0) {
          ignore = createIgnoreMatcher(rules);
          logger.debug('ignore file read', { file: rules.file, entries: rules.vulnerabilities.length });
        }
      } catch (error) {
        if (error instanceof IgnoreFileError)
          throw new UsageError(`--ignorefile: ${error.message}`, { exitCode: 1, cause: error });
        throw error;
      }
      if (settings.ignoredScanners.length > 0) {
        logger.warn('vigil scans for vulnerabilities only; ignoring other scanners', {
          scanners: settings.ignoredScanners.join(','),
        });
      }
      const scanner = createImageScanner({
        cacheDir: options.cacheDir,
        cacheMaxBytes: settings.cacheMaxBytes,
        registry: {
          env,
          username: options.username,
          password: options.password,
          registryToken: options.registryToken,
          insecure: options.insecure,
        },
        dbRepositories: settings.dbRepositories,
        skipDbUpdate: options.skipDbUpdate,
        version: readPackageVersion(),
        logger,
        ...(settings.server ? { server: settings.server } : {}),
        ...(options.quiet
          ? {}
          : {
              progress: createProgress({
                write: (text) => process.stderr.write(text),
                tty: process.stderr.isTTY === true,
              }),
            }),
      });
      let outcome: Awaited<ReturnType<typeof scanner.scan>>;
      try {
        outcome = await scanner.scan({
          target: settings.target,
          input: settings.input,
          platform: settings.platform,
          signal: AbortSignal.timeout(settings.timeoutMs),
          timeoutMs: settings.timeoutMs,
          scan: { pkgTypes: settings.pkgTypes, severitySources: settings.severitySources },
        });
      } catch (error) {
        if (error instanceof ScanError) throw new UsageError(error.message, { exitCode: 1, cause: error });
        throw error;
      }
      const filtered = filterReport(outcome.report, {
        severities: settings.severities,
        ignoreUnfixed: options.ignoreUnfixed,
        ...(settings.ignoreStatuses ? { ignoreStatuses: settings.ignoreStatuses } : {}),
        ...(ignore ? { ignore } : {}),
      });
      const report =
        options.format === 'json'
          ? writeJsonReport(filtered, { listAllPkgs: options.listAllPkgs })
          : renderTable(filtered, {
              severities: settings.severities,
              color:
                options.output === undefined &&
                options.outputEncoding === 'none' &&
                process.stdout.isTTY === true,
            });
      const text = encodeOutput(report, options.outputEncoding, options.output === undefined);
      if (options.output !== undefined) {
        try {
          await writeFile(options.output, text);
        } catch (error) {
          throw new UsageError(`cannot write the report to ${options.output}: ${(error as Error).message}`, {
            exitCode: 1,
            cause: error,
          });
        }
      } else {
        await new Promise<void>((resolve, reject) =>
          process.stdout.write(text, (error) => (error ? reject(error) : resolve())),
        );
      }
      process.exitCode = exitCodeFor(filtered, {
        exitCode: settings.exitCode,
        exitOnEol: settings.exitOnEol,
      });
    });
}

interface Settings {
  target: string;
  cacheMaxBytes: number;
  input: boolean;
  platform: Platform | undefined;
  dbRepositories: string[];
  severities: string[];
  ignoreStatuses: StatusName[] | undefined;
  exitCode: number;
  exitOnEol: number;
  timeoutMs: number;
  pkgTypes: ('os' | 'library')[];
  severitySources: string[];
  ignoredScanners: string[];
  server: RemoteOptions | undefined;
}

/** Every flag checked before any work starts: bad usage exits 2 with the flag named. */
function validate(image: string | undefined, options: ScanImageOptions, env: NodeJS.ProcessEnv): Settings {
  if (image !== undefined && options.input !== undefined) {
    throw new UsageError(`give either an image reference (${image}) or --input (${options.input}), not both`);
  }
  const target = image ?? options.input;
  if (target === undefined || target === '') {
    throw new UsageError(
      'scan image needs an image reference, or --input with a docker save tar or OCI layout',
    );
  }
  const list = (text: string) =>
    text
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  const severities = list(options.severity).map((s) => s.toUpperCase());
  for (const s of severities) {
    if (!(SEVERITIES as readonly string[]).includes(s)) {
      throw new UsageError(`--severity: unknown severity ${s} (use ${SEVERITIES.join(', ')})`);
    }
  }
  let ignoreStatuses: StatusName[] | undefined;
  if (options.ignoreStatus !== undefined) {
    ignoreStatuses = list(options.ignoreStatus).map((s) => {
      if (!(STATUSES as readonly string[]).includes(s)) {
        throw new UsageError(`--ignore-status: unknown status ${s} (use ${STATUSES.join(', ')})`);
      }
      return s as StatusName;
    });
  }
  const integer = (flag: string, text: string) => {
    if (!/^\d+$/.test(text.trim())) throw new UsageError(`${flag}: ${JSON.stringify(text)} is not a number`);
    return Number(text);
  };
  let timeoutMs: number;
  try {
    timeoutMs = parseGoDuration(options.timeout);
  } catch (error) {
    throw new UsageError(`--timeout: ${(error as Error).message}`);
  }
  if (timeoutMs <= 0) throw new UsageError('--timeout must be positive');
  let platform: Platform | undefined;
  if (options.platform !== undefined && options.platform !== '') {
    try {
      platform = parsePlatform(options.platform);
    } catch (error) {
      throw new UsageError(`--platform: ${(error as Error).message}`);
    }
  }
  const dbRepositories = resolveDbRepositories(
    options.dbRepository,
    env.TRIVY_DB_REPOSITORY ? list(env.TRIVY_DB_REPOSITORY) : undefined,
  );
  const pkgTypes = list(options.pkgTypes).map((t) => {
    if (t !== 'os' && t !== 'library')
      throw new UsageError(`--pkg-types: unknown type ${t} (use os, library)`);
    return t;
  });
  const scanners = list(options.scanners);
  let server: RemoteOptions | undefined;
  if (options.server !== undefined && options.server !== '') {
    if (!/^https?:\/\/[^/]/.test(options.server)) {
      throw new UsageError(`--server: ${JSON.stringify(options.server)} must be http(s)://host:port`);
    }
    const customHeaders: Record<string, string> = {};
    for (const header of options.customHeaders) {
      const colon = header.indexOf(':');
      if (colon <= 0) throw new UsageError(`--custom-headers: ${JSON.stringify(header)} is not name:value`);
      customHeaders[header.slice(0, colon).trim()] = header.slice(colon + 1).trim();
    }
    server = {
      serverUrl: options.server,
      tokenHeader: options.tokenHeader,
      customHeaders,
      ...(options.token ? { token: options.token } : {}),
    };
  }
  return {
    server,
    target,
    cacheMaxBytes: parseSize('--cache-max-size', options.cacheMaxSize),
    input: options.input !== undefined,
    platform,
    dbRepositories,
    severities,
    ignoreStatuses,
    exitCode: integer('--exit-code', options.exitCode),
    exitOnEol: integer('--exit-on-eol', options.exitOnEol),
    timeoutMs,
    pkgTypes,
    severitySources: list(options.vulnSeveritySource),
    ignoredScanners: scanners.filter((s) => s !== 'vuln'),
  };
}

/**
 * The report text as written: unchanged, or gzip-compressed and base64-encoded in one stream (no line breaks;
 * a final newline on stdout only, so a terminal or a log line ends cleanly).
 */
function encodeOutput(text: string, encoding: 'none' | 'gzip+base64', toStdout: boolean): string {
  if (encoding === 'none') return text;
  const encoded = gzipSync(Buffer.from(text, 'utf8')).toString('base64');
  return toStdout ? `${encoded}\n` : encoded;
}

function parseBool(flag: string) {
  return (value: string | undefined) => {
    if (value === undefined || /^(1|t|true)$/i.test(value)) return true;
    if (/^(0|f|false)$/i.test(value)) return false;
    throw new UsageError(
      `${flag}: ${JSON.stringify(value)} is not true or false (the value must be attached: ${flag}=false)`,
    );
  };
}

/** Log lines on stderr: info and warnings unless --quiet, debug lines with --debug. */
function stderrLogger(quiet: boolean, debug: boolean): Logger {
  const line = (level: string, message: string, fields?: Record<string, unknown>) => {
    const extra = Object.entries(fields ?? {})
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    process.stderr.write(`${new Date().toISOString()} ${level} ${message}${extra ? `  ${extra}` : ''}\n`);
  };
  return {
    debug: (message, fields) => {
      if (debug) line('DEBUG', message, fields);
    },
    info: (message, fields) => {
      if (!quiet || debug) line('INFO', message, fields);
    },
    warn: (message, fields) => {
      if (!quiet || debug) line('WARN', message, fields);
    },
  };
}
