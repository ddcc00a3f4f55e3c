import type { Command } from 'commander';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createKubeClient, type Logger, loadKubeConfig } from '../k8s/index.js';
import { ConfigError, loadOperatorConfig } from '../operator/config/index.js';
import { createOperator } from '../operator/index.js';
import { UsageError } from './errors.js';
import { readPackageVersion } from './version.js';

interface OperatorCliOptions {
  kubeconfig?: string;
}

/**
 * Structured logs: JSON lines on stderr (pino, ISO times, level names), or with OPERATOR_LOG_DEV_MODE one
 * readable line per event for people at a terminal.
 */
export function createOperatorLogger(
  devMode: boolean,
  destination: NodeJS.WritableStream = process.stderr,
): Logger {
  if (devMode) {
    const at =
      (level: string) =>
      (message: string, fields?: Record<string, unknown>): void => {
        const extra = Object.entries(fields ?? {})
          .filter(([key]) => key !== 'stack')
          .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
          .join(' ');
        destination.write(
          `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${message}${extra ? ` ${extra}` : ''}\n`,
        );
      };
    return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  }
  const logger = pino(
    {
      level: process.env.VIGIL_LOG_LEVEL ?? 'info',
      base: { component: 'vigil-operator' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: ['password', '*.password', 'token', '*.token'], censor: '[redacted]' },
    },
    destination as pino.DestinationStream,
  );
  const at =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (message: string, fields?: Record<string, unknown>): void => {
      if (fields === undefined) logger[level](message);
      else logger[level](fields, message);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/**
 * `vigil operator`: Trivy Operator's vulnerability scanning, configured as Trivy Operator is (OPERATOR_*
 * environment variables, the trivy-operator and trivy-operator-trivy-config ConfigMaps and Secrets in
 * OPERATOR_NAMESPACE). Runs until SIGTERM/SIGINT, then stops its controllers and releases the lease.
 */
export function registerOperatorCommand(program: Command): void {
  program
    .command('operator')
    .description(
      'watch workloads, run scan Jobs and publish VulnerabilityReports (Trivy Operator compatible)',
    )
    .option('--kubeconfig <path>', 'kubeconfig file (default $KUBECONFIG, ~/.kube/config, or in-cluster)')
    .action(async (options: OperatorCliOptions) => {
      await runOperator(options, process.env);
    });
}

async function runOperator(options: OperatorCliOptions, env: NodeJS.ProcessEnv): Promise<void> {
  const devMode = /^(1|t|true)$/i.test(env.OPERATOR_LOG_DEV_MODE ?? '');
  const logger = createOperatorLogger(devMode);
  let kubeConfig: ReturnType<typeof loadKubeConfig>;
  try {
    kubeConfig = loadKubeConfig(options.kubeconfig);
  } catch (error) {
    throw new UsageError(
      `cannot load the kubeconfig${options.kubeconfig ? ` ${options.kubeconfig}` : ''}: ${(error as Error).message}; pass --kubeconfig, set KUBECONFIG, or run in a pod`,
      { exitCode: 1, cause: error },
    );
  }
  if (!kubeConfig.getCurrentCluster())
    throw new UsageError(
      'no Kubernetes cluster configured: pass --kubeconfig, set KUBECONFIG, or run in a pod',
      {
        exitCode: 1,
      },
    );
  const client = createKubeClient({ kubeConfig, userAgent: `vigil-operator/${readPackageVersion()}` });
  let config: Awaited<ReturnType<typeof loadOperatorConfig>>;
  try {
    config = await loadOperatorConfig({ env, client, logger });
  } catch (error) {
    client.close();
    if (error instanceof ConfigError)
      throw new UsageError(`invalid configuration: ${error.message}`, { exitCode: 1 });
    throw new UsageError(`cannot load the configuration: ${(error as Error).message}`, {
      exitCode: 1,
      cause: error,
    });
  }
  const registry = new Registry();
  const operator = createOperator({
    config,
    client,
    logger,
    registry,
    scannerVersion: readPackageVersion(),
    ...(env.POD_NAME ? { identity: `${env.POD_NAME}_${Math.random().toString(36).slice(2, 8)}` } : {}),
  });
  try {
    await operator.start();
  } catch (error) {
    await operator.stop().catch(() => {});
    client.close();
    throw new UsageError(`cannot start: ${(error as Error).message}`, { exitCode: 1, cause: error });
  }
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        logger.warn('second signal: exiting without waiting', { signal });
        process.exit(1);
      }
      stopping = true;
      logger.info('shutting down', { signal });
      void operator.stop().finally(() => {
        client.close();
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
        resolve();
      });
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
