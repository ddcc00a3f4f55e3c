// Table tests for every setting of the environment and the two ConfigMaps: defaults, valid values, and
// invalid values failing with a ConfigError that names the variable or key.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import { parseBindAddress } from './bind-address.js';
import { parseOperatorEnv } from './env.js';
import { ConfigError } from './errors.js';
import { installMode, namespaceInScope, watchedNamespaces } from './namespaces.js';
import { parseOperatorConfigMap, sanitizeLabelName } from './operator-configmap.js';
import { DEFAULT_TRIVY_CONFIGMAP_DATA, parseTrivyConfig } from './trivy-config.js';
import { unsupportedSettings } from './unsupported.js';
import { formatGoDuration } from './values.js';

const BASE = { OPERATOR_NAMESPACE: 'trivy-system' };

function assertConfigError(fn: () => unknown, key: string, pattern?: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    assert.equal(error.key, key);
    assert.ok(error.message.startsWith(`${key}: `), error.message);
    if (pattern) assert.match(error.message, pattern);
    return true;
  });
}

describe('parseOperatorEnv', () => {
  test('defaults are Trivy Operator’s', () => {
    const env = parseOperatorEnv(BASE, { version: '1.2.3' });
    assert.deepEqual(env, {
      namespace: 'trivy-system',
      targetNamespaces: [],
      excludeNamespaces: [],
      targetWorkloads: [
        'Pod',
        'ReplicaSet',
        'ReplicationController',
        'StatefulSet',
        'DaemonSet',
        'CronJob',
        'Job',
      ],
      serviceAccount: 'trivy-operator',
      logDevMode: false,
      scanJobTimeoutMs: 300_000,
      scanJobTTLMs: undefined,
      scanSecretTTLMs: undefined,
      scanJobsConcurrentLimit: 10,
      scanJobsRetryDelayMs: 30_000,
      metricsBindAddress: ':8080',
      healthProbeBindAddress: ':9090',
      metricsFindingsEnabled: true,
      metricsVulnIdEnabled: false,
      metricsExposedSecretInfoEnabled: false,
      metricsConfigAuditInfoEnabled: false,
      metricsRbacAssessmentInfoEnabled: false,
      metricsInfraAssessmentInfoEnabled: false,
      metricsImageInfoEnabled: false,
      metricsClusterComplianceInfoEnabled: false,
      vulnerabilityScannerEnabled: true,
      vulnerabilityScannerScanOnlyCurrentRevisions: true,
      scannerReportTTLMs: 86_400_000,
      leaderElectionEnabled: false,
      leaderElectionId: 'trivyoperator-lock',
      accessGlobalSecretsAndServiceAccount: true,
      privateRegistryScanSecretsNames: {},
      builtInTrivyServer: false,
      trivyServerHealthCheckCacheExpirationMs: 36_000_000,
      cacheSyncTimeoutMs: 300_000,
      scannerImage: 'ghcr.io/vigil/vigil:1.2.3',
      scanRetryMaxDelayMs: 3_600_000,
    });
  });

  test('the default scanner image carries this package’s version', () => {
    assert.match(parseOperatorEnv(BASE).scannerImage, /^ghcr\.io\/vigil\/vigil:\d+\.\d+\.\d+/);
  });

  test('OPERATOR_NAMESPACE is required', () => {
    assertConfigError(() => parseOperatorEnv({}), 'OPERATOR_NAMESPACE', /not set/);
    assertConfigError(() => parseOperatorEnv({ OPERATOR_NAMESPACE: ' ' }), 'OPERATOR_NAMESPACE');
  });

  // [variable, value, field, expected]
  const valid: Array<[string, string, string, unknown]> = [
    ['OPERATOR_TARGET_NAMESPACES', 'a, b,,c', 'targetNamespaces', ['a', 'b', 'c']],
    ['OPERATOR_EXCLUDE_NAMESPACES', 'kube-*, trivy-system', 'excludeNamespaces', ['kube-*', 'trivy-system']],
    [
      'OPERATOR_TARGET_WORKLOADS',
      'pod,replicaset,CRONJOB',
      'targetWorkloads',
      ['Pod', 'ReplicaSet', 'CronJob'],
    ],
    [
      'OPERATOR_TARGET_WORKLOADS',
      'statefulset,daemonset,job,replicationcontroller',
      'targetWorkloads',
      ['StatefulSet', 'DaemonSet', 'Job', 'ReplicationController'],
    ],
    ['OPERATOR_SERVICE_ACCOUNT', 'vigil', 'serviceAccount', 'vigil'],
    ['OPERATOR_LOG_DEV_MODE', 'true', 'logDevMode', true],
    ['OPERATOR_SCAN_JOB_TIMEOUT', '90s', 'scanJobTimeoutMs', 90_000],
    ['OPERATOR_SCAN_JOB_TIMEOUT', '0', 'scanJobTimeoutMs', 0],
    ['OPERATOR_SCAN_JOB_TTL', '1h30m', 'scanJobTTLMs', 5_400_000],
    ['OPERATOR_SCAN_JOB_TTL', '', 'scanJobTTLMs', undefined],
    ['OPERATOR_SCAN_SECRET_TTL', '10m', 'scanSecretTTLMs', 600_000],
    ['OPERATOR_CONCURRENT_SCAN_JOBS_LIMIT', '3', 'scanJobsConcurrentLimit', 3],
    ['OPERATOR_CONCURRENT_SCAN_JOBS_LIMIT', '', 'scanJobsConcurrentLimit', 10],
    ['OPERATOR_SCAN_JOB_RETRY_AFTER', '5s', 'scanJobsRetryDelayMs', 5000],
    ['OPERATOR_METRICS_BIND_ADDRESS', '127.0.0.1:0', 'metricsBindAddress', '127.0.0.1:0'],
    ['OPERATOR_HEALTH_PROBE_BIND_ADDRESS', '[::1]:9091', 'healthProbeBindAddress', '[::1]:9091'],
    ['OPERATOR_METRICS_FINDINGS_ENABLED', 'false', 'metricsFindingsEnabled', false],
    ['OPERATOR_METRICS_VULN_ID_ENABLED', 'true', 'metricsVulnIdEnabled', true],
    ['OPERATOR_METRICS_EXPOSED_SECRET_INFO_ENABLED', 'T', 'metricsExposedSecretInfoEnabled', true],
    ['OPERATOR_METRICS_CONFIG_AUDIT_INFO_ENABLED', '1', 'metricsConfigAuditInfoEnabled', true],
    ['OPERATOR_METRICS_RBAC_ASSESSMENT_INFO_ENABLED', 'TRUE', 'metricsRbacAssessmentInfoEnabled', true],
    ['OPERATOR_METRICS_INFRA_ASSESSMENT_INFO_ENABLED', 'True', 'metricsInfraAssessmentInfoEnabled', true],
    ['OPERATOR_METRICS_IMAGE_INFO_ENABLED', 'true', 'metricsImageInfoEnabled', true],
    ['OPERATOR_METRICS_CLUSTER_COMPLIANCE_INFO_ENABLED', 'true', 'metricsClusterComplianceInfoEnabled', true],
    ['OPERATOR_VULNERABILITY_SCANNER_ENABLED', 'false', 'vulnerabilityScannerEnabled', false],
    [
      'OPERATOR_VULNERABILITY_SCANNER_SCAN_ONLY_CURRENT_REVISIONS',
      'f',
      'vulnerabilityScannerScanOnlyCurrentRevisions',
      false,
    ],
    ['OPERATOR_SCANNER_REPORT_TTL', '48h', 'scannerReportTTLMs', 172_800_000],
    ['OPERATOR_SCANNER_REPORT_TTL', '', 'scannerReportTTLMs', undefined],
    ['OPERATOR_LEADER_ELECTION_ENABLED', 'true', 'leaderElectionEnabled', true],
    ['OPERATOR_LEADER_ELECTION_ID', 'vigil-lock', 'leaderElectionId', 'vigil-lock'],
    [
      'OPERATOR_ACCESS_GLOBAL_SECRETS_SERVICE_ACCOUNTS',
      'false',
      'accessGlobalSecretsAndServiceAccount',
      false,
    ],
    [
      'OPERATOR_PRIVATE_REGISTRY_SCAN_SECRETS_NAMES',
      '{"apps":"a, b","trivy-system":"reg"}',
      'privateRegistryScanSecretsNames',
      { apps: ['a', 'b'], 'trivy-system': ['reg'] },
    ],
    ['OPERATOR_PRIVATE_REGISTRY_SCAN_SECRETS_NAMES', '{}', 'privateRegistryScanSecretsNames', {}],
    ['OPERATOR_BUILT_IN_TRIVY_SERVER', 'true', 'builtInTrivyServer', true],
    [
      'TRIVY_SERVER_HEALTH_CHECK_CACHE_EXPIRATION',
      '1h',
      'trivyServerHealthCheckCacheExpirationMs',
      3_600_000,
    ],
    ['CONTROLLER_CACHE_SYNC_TIMEOUT', '10m', 'cacheSyncTimeoutMs', 600_000],
    ['VIGIL_SCANNER_IMAGE', 'registry.local/vigil:dev', 'scannerImage', 'registry.local/vigil:dev'],
    ['VIGIL_SCAN_RETRY_MAX_DELAY', '15m', 'scanRetryMaxDelayMs', 900_000],
  ];
  test('valid values', () => {
    for (const [name, value, field, expected] of valid) {
      const env = parseOperatorEnv({ ...BASE, [name]: value }) as unknown as Record<string, unknown>;
      assert.deepEqual(env[field], expected, `${name}=${value}`);
    }
  });

  const invalid: Array<[string, string, RegExp?]> = [
    ['OPERATOR_EXCLUDE_NAMESPACES', 'kube-[', /bad glob/],
    ['OPERATOR_TARGET_WORKLOADS', 'Deployment', /ReplicaSet instead/],
    ['OPERATOR_TARGET_WORKLOADS', 'pod,widget', /"widget" is not a workload kind/],
    ['OPERATOR_LOG_DEV_MODE', 'yes', /not a boolean/],
    ['OPERATOR_SCAN_JOB_TIMEOUT', '5 minutes', /not a Go duration/],
    ['OPERATOR_SCAN_JOB_TIMEOUT', '-5m', /negative/],
    ['OPERATOR_SCAN_JOB_TTL', '10', /not a Go duration/],
    ['OPERATOR_SCAN_SECRET_TTL', 'soon', /not a Go duration/],
    ['OPERATOR_CONCURRENT_SCAN_JOBS_LIMIT', '0', /1 or more/],
    ['OPERATOR_CONCURRENT_SCAN_JOBS_LIMIT', 'ten', /whole number/],
    ['OPERATOR_CONCURRENT_SCAN_JOBS_LIMIT', '2.5', /whole number/],
    ['OPERATOR_SCAN_JOB_RETRY_AFTER', '30', /not a Go duration/],
    ['OPERATOR_METRICS_BIND_ADDRESS', '8080', /no port/],
    ['OPERATOR_HEALTH_PROBE_BIND_ADDRESS', ':99999', /no valid port/],
    ['OPERATOR_METRICS_FINDINGS_ENABLED', 'on', /not a boolean/],
    ['OPERATOR_METRICS_VULN_ID_ENABLED', 'enabled', /not a boolean/],
    ['OPERATOR_METRICS_IMAGE_INFO_ENABLED', 'y', /not a boolean/],
    ['OPERATOR_VULNERABILITY_SCANNER_ENABLED', 'no', /not a boolean/],
    ['OPERATOR_SCANNER_REPORT_TTL', '1d', /not a Go duration/],
    ['OPERATOR_LEADER_ELECTION_ENABLED', 'x', /not a boolean/],
    ['OPERATOR_ACCESS_GLOBAL_SECRETS_SERVICE_ACCOUNTS', 'x', /not a boolean/],
    ['OPERATOR_PRIVATE_REGISTRY_SCAN_SECRETS_NAMES', 'apps=a', /not valid JSON/],
    ['OPERATOR_PRIVATE_REGISTRY_SCAN_SECRETS_NAMES', '["a"]', /not a JSON object/],
    ['OPERATOR_PRIVATE_REGISTRY_SCAN_SECRETS_NAMES', '{"apps":["a"]}', /not a string/],
    ['OPERATOR_BUILT_IN_TRIVY_SERVER', 'x', /not a boolean/],
    ['TRIVY_SERVER_HEALTH_CHECK_CACHE_EXPIRATION', 'x', /not a Go duration/],
    ['CONTROLLER_CACHE_SYNC_TIMEOUT', '5', /not a Go duration/],
    ['VIGIL_SCAN_RETRY_MAX_DELAY', '1 hour', /not a Go duration/],
  ];
  test('invalid values fail with a ConfigError naming the variable', () => {
    for (const [name, value, pattern] of invalid) {
      assertConfigError(() => parseOperatorEnv({ ...BASE, [name]: value }), name, pattern);
    }
  });
});

describe('parseOperatorConfigMap', () => {
  test('defaults with an empty ConfigMap', () => {
    assert.deepEqual(parseOperatorConfigMap({}), {
      vulnerabilityReports: { scanner: 'Trivy', scanJobsInSameNamespace: false },
      scanJob: {
        compressLogs: false,
        skipInitContainers: false,
        excludeImages: [],
        annotations: {},
        podTemplateLabels: {},
        tolerations: undefined,
        nodeSelector: undefined,
        affinity: undefined,
        podTemplatePodSecurityContext: undefined,
        podTemplateContainerSecurityContext: undefined,
        automountServiceAccountToken: false,
        podPriorityClassName: undefined,
        useGCRServiceAccount: true,
      },
      report: { resourceLabels: [], additionalLabels: {} },
      metrics: { resourceLabelsPrefix: 'k8s_label_' },
      skipResourceByLabels: [],
    });
  });

  // [key, value, path to the field, expected]
  const valid: Array<[string, string, string, unknown]> = [
    ['vulnerabilityReports.scanner', 'Trivy', 'vulnerabilityReports.scanner', 'Trivy'],
    [
      'vulnerabilityReports.scanJobsInSameNamespace',
      'true',
      'vulnerabilityReports.scanJobsInSameNamespace',
      true,
    ],
    ['scanJob.compressLogs', 'true', 'scanJob.compressLogs', true],
    ['scanJob.skipInitContainers', 'true', 'scanJob.skipInitContainers', true],
    [
      'scanJob.excludeImages',
      'docker.io/library/*, *:latest',
      'scanJob.excludeImages',
      ['docker.io/library/*', '*:latest'],
    ],
    ['scanJob.annotations', 'a=1,b.io/x=two', 'scanJob.annotations', { a: '1', 'b.io/x': 'two' }],
    [
      'scanJob.podTemplateLabels',
      'team=sec,tier=scan,',
      'scanJob.podTemplateLabels',
      { team: 'sec', tier: 'scan' },
    ],
    [
      'scanJob.tolerations',
      '[{"key":"k","operator":"Exists"}]',
      'scanJob.tolerations',
      [{ key: 'k', operator: 'Exists' }],
    ],
    [
      'scanJob.nodeSelector',
      '{"kubernetes.io/os":"linux"}',
      'scanJob.nodeSelector',
      { 'kubernetes.io/os': 'linux' },
    ],
    ['scanJob.affinity', '{"nodeAffinity":{}}', 'scanJob.affinity', { nodeAffinity: {} }],
    [
      'scanJob.podTemplatePodSecurityContext',
      '{"runAsNonRoot":true}',
      'scanJob.podTemplatePodSecurityContext',
      { runAsNonRoot: true },
    ],
    [
      'scanJob.podTemplateContainerSecurityContext',
      '{"readOnlyRootFilesystem":true}',
      'scanJob.podTemplateContainerSecurityContext',
      { readOnlyRootFilesystem: true },
    ],
    ['scanJob.automountServiceAccountToken', 'true', 'scanJob.automountServiceAccountToken', true],
    ['scanJob.podPriorityClassName', 'low', 'scanJob.podPriorityClassName', 'low'],
    ['scanJob.useGCRServiceAccount', 'false', 'scanJob.useGCRServiceAccount', false],
    [
      'report.resourceLabels',
      'app.kubernetes.io/name, teamName',
      'report.resourceLabels',
      ['app.kubernetes.io/name', 'teamName'],
    ],
    ['report.additionalLabels', 'env=prod', 'report.additionalLabels', { env: 'prod' }],
    ['metrics.resourceLabelsPrefix', 'label_', 'metrics.resourceLabelsPrefix', 'label_'],
    ['skipResourceByLabels', 'skip-scan, vigil/skip', 'skipResourceByLabels', ['skip-scan', 'vigil/skip']],
  ];
  test('valid values', () => {
    for (const [key, value, path, expected] of valid) {
      const settings = parseOperatorConfigMap({ [key]: value }) as unknown as Record<
        string,
        Record<string, unknown>
      >;
      const [a, b] = path.split('.') as [string, string | undefined];
      const actual = b === undefined ? settings[a] : settings[a]?.[b];
      assert.deepEqual(actual, expected, `${key}=${value}`);
    }
  });

  const invalid: Array<[string, string, RegExp?]> = [
    ['vulnerabilityReports.scanner', 'Grype', /not supported/],
    ['vulnerabilityReports.scanJobsInSameNamespace', 'sometimes', /not a boolean/],
    ['scanJob.compressLogs', 'gzip', /not a boolean/],
    ['scanJob.skipInitContainers', 'x', /not a boolean/],
    ['scanJob.excludeImages', 'nginx:[', /bad glob/],
    ['scanJob.annotations', 'a=1,b', /"b" is not key=value/],
    ['scanJob.annotations', 'a=1=2', /not key=value/],
    ['scanJob.podTemplateLabels', 'team', /not key=value/],
    ['scanJob.tolerations', '{"key":"k"}', /JSON array/],
    ['scanJob.tolerations', '[{', /not valid JSON/],
    ['scanJob.nodeSelector', '{"a":1}', /non-string/],
    ['scanJob.nodeSelector', '[]', /JSON object/],
    ['scanJob.affinity', 'nodeAffinity', /not valid JSON/],
    ['scanJob.podTemplatePodSecurityContext', '[]', /JSON object/],
    ['scanJob.podTemplateContainerSecurityContext', '{', /not valid JSON/],
    ['scanJob.automountServiceAccountToken', 'x', /not a boolean/],
    ['scanJob.useGCRServiceAccount', 'x', /not a boolean/],
    ['report.additionalLabels', 'env', /not key=value/],
  ];
  test('invalid values fail with a ConfigError naming the key', () => {
    for (const [key, value, pattern] of invalid) {
      assertConfigError(() => parseOperatorConfigMap({ [key]: value }), key, pattern);
    }
    assertConfigError(
      () => parseOperatorConfigMap({ 'metrics.resourceLabelsPrefix': '', 'report.resourceLabels': '1app' }),
      'metrics.resourceLabelsPrefix',
      /invalid Prometheus label "1app"/,
    );
  });

  test('label keys are sanitised as Trivy Operator’s metrics do', () => {
    assert.equal(sanitizeLabelName('app.kubernetes.io/name'), 'app_kubernetes_io_name');
    assert.equal(sanitizeLabelName('teamName'), 'team_name');
    assert.equal(sanitizeLabelName('aBcD'), 'a_bc_d');
    assert.equal(sanitizeLabelName('ABC'), 'abc');
    assert.equal(sanitizeLabelName('k8s-app'), 'k8s_app');
    assert.equal(sanitizeLabelName('v2Beta'), 'v2_beta');
  });
});

describe('parseTrivyConfig', () => {
  test('defaults of the ConfigMap Trivy Operator creates', () => {
    const config = parseTrivyConfig(DEFAULT_TRIVY_CONFIGMAP_DATA, {});
    assert.deepEqual(JSON.parse(JSON.stringify(config)), {
      mode: 'Standalone',
      serverTokenHeader: 'Trivy-Token',
      serverInsecure: false,
      severity: ['UNKNOWN', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'],
      ignoreUnfixed: false,
      offlineScan: false,
      timeoutMs: 300_000,
      dbRepository: 'mirror.gcr.io/aquasec/trivy-db',
      javaDbRepository: 'mirror.gcr.io/aquasec/trivy-java-db',
      dbRepositoryInsecure: false,
      insecureRegistries: [],
      nonSslRegistries: [],
      registryMirrors: {},
      resources: { requests: { cpu: '100m', memory: '100M' }, limits: { cpu: '500m', memory: '500M' } },
      additionalVulnerabilityReportFields: [],
      skipFiles: [],
      skipDirs: [],
      clientServerSkipUpdate: false,
      command: 'image',
    });
    // Absent keys take the same defaults.
    assert.deepEqual(parseTrivyConfig({}, undefined).resources, config.resources);
    assert.equal(parseTrivyConfig(undefined, undefined).timeoutMs, 300_000);
  });

  const cs = { 'trivy.mode': 'ClientServer', 'trivy.serverURL': 'http://trivy-service.trivy-system:4975' };
  // [data, field, expected]
  const valid: Array<[Record<string, string>, string, unknown]> = [
    [cs, 'mode', 'ClientServer'],
    [cs, 'serverURL', 'http://trivy-service.trivy-system:4975'],
    [{ 'trivy.serverURL': 'https://scan.example:4954' }, 'serverURL', 'https://scan.example:4954'],
    [{ 'trivy.serverTokenHeader': 'X-Token' }, 'serverTokenHeader', 'X-Token'],
    [{ 'trivy.serverInsecure': '' }, 'serverInsecure', true],
    [{ 'trivy.serverInsecure': 'true' }, 'serverInsecure', true],
    [{ 'trivy.serverInsecure': 'false' }, 'serverInsecure', false],
    [{ 'trivy.severity': 'critical, HIGH' }, 'severity', ['CRITICAL', 'HIGH']],
    [{ 'trivy.ignoreUnfixed': 'true' }, 'ignoreUnfixed', true],
    [{ 'trivy.offlineScan': 'true' }, 'offlineScan', true],
    [{ 'trivy.timeout': '10m0s' }, 'timeoutMs', 600_000],
    [{ 'trivy.dbRepository': 'registry.local/trivy-db' }, 'dbRepository', 'registry.local/trivy-db'],
    [{ 'trivy.dbRepositoryInsecure': 'true' }, 'dbRepositoryInsecure', true],
    [
      { 'trivy.insecureRegistry.a': 'reg.local:5000', 'trivy.insecureRegistry.b': 'other:443' },
      'insecureRegistries',
      ['other:443', 'reg.local:5000'],
    ],
    [{ 'trivy.nonSslRegistry.x': 'plain.local:5000' }, 'nonSslRegistries', ['plain.local:5000']],
    [
      { 'trivy.registry.mirror.index.docker.io': 'mirror.gcr.io' },
      'registryMirrors',
      { 'index.docker.io': 'mirror.gcr.io' },
    ],
    [
      {
        'trivy.resources.requests.cpu': '250m',
        'trivy.resources.limits.memory': '1Gi',
        'trivy.resources.requests.ephemeral-storage': '2G',
        'trivy.resources.limits.ephemeral-storage': '1e9',
      },
      'resources',
      {
        requests: { cpu: '250m', memory: '100M', 'ephemeral-storage': '2G' },
        limits: { cpu: '500m', memory: '1Gi', 'ephemeral-storage': '1e9' },
      },
    ],
    [
      { 'trivy.resources.limits.cpu': '', 'trivy.resources.limits.memory': '0.5Gi' },
      'resources',
      { requests: { cpu: '100m', memory: '100M' }, limits: { memory: '0.5Gi' } },
    ],
    [
      {
        'trivy.additionalVulnerabilityReportFields':
          'Description,Links,CVSS,Target,Class,PackageType,PackagePath',
      },
      'additionalVulnerabilityReportFields',
      ['Description', 'Links', 'CVSS', 'Target', 'Class', 'PackageType', 'PackagePath'],
    ],
    [{ 'trivy.skipFiles': '/a/b, /c' }, 'skipFiles', ['/a/b', '/c']],
    [{ 'trivy.skipDirs': '/usr/lib/node_modules' }, 'skipDirs', ['/usr/lib/node_modules']],
    [{ 'trivy.httpProxy': 'http://proxy:3128' }, 'httpProxy', 'http://proxy:3128'],
    [{ 'trivy.httpsProxy': 'http://proxy:3128' }, 'httpsProxy', 'http://proxy:3128'],
    [{ 'trivy.noProxy': '10.0.0.0/8,.svc' }, 'noProxy', '10.0.0.0/8,.svc'],
    [{ 'trivy.clientServerSkipUpdate': 'true' }, 'clientServerSkipUpdate', true],
    [{ 'trivy.command': 'image' }, 'command', 'image'],
  ];
  test('valid values', () => {
    for (const [data, field, expected] of valid) {
      const config = parseTrivyConfig(data, {}) as unknown as Record<string, unknown>;
      assert.deepEqual(config[field], expected, JSON.stringify(data));
    }
  });

  const invalid: Array<[Record<string, string>, string, RegExp?]> = [
    [{ 'trivy.mode': 'Server' }, 'trivy.mode', /Standalone or ClientServer/],
    [{ 'trivy.mode': 'ClientServer' }, 'trivy.serverURL', /required when trivy.mode is ClientServer/],
    [{ 'trivy.serverURL': 'trivy-service:4975' }, 'trivy.serverURL', /not an http\(s\) URL/],
    [{ 'trivy.serverURL': 'ftp://x' }, 'trivy.serverURL', /not an http\(s\) URL/],
    [{ 'trivy.serverInsecure': 'maybe' }, 'trivy.serverInsecure', /not a boolean/],
    [{ 'trivy.severity': 'HIGH,SEVERE' }, 'trivy.severity', /"SEVERE" is not a severity/],
    [{ 'trivy.severity': ' , ' }, 'trivy.severity', /no severity/],
    [{ 'trivy.ignoreUnfixed': 'yes' }, 'trivy.ignoreUnfixed', /not a boolean/],
    [{ 'trivy.offlineScan': 'yes' }, 'trivy.offlineScan', /not a boolean/],
    [{ 'trivy.timeout': '300' }, 'trivy.timeout', /not a Go duration/],
    [{ 'trivy.dbRepositoryInsecure': 'x' }, 'trivy.dbRepositoryInsecure', /not a boolean/],
    [{ 'trivy.insecureRegistry.a': '' }, 'trivy.insecureRegistry.a', /empty/],
    [{ 'trivy.nonSslRegistry.a': ' ' }, 'trivy.nonSslRegistry.a', /empty/],
    [{ 'trivy.registry.mirror.docker.io': '' }, 'trivy.registry.mirror.docker.io', /empty/],
    [
      { 'trivy.resources.requests.cpu': '100 m' },
      'trivy.resources.requests.cpu',
      /not a Kubernetes quantity/,
    ],
    [
      { 'trivy.resources.requests.memory': '1GB' },
      'trivy.resources.requests.memory',
      /not a Kubernetes quantity/,
    ],
    [{ 'trivy.resources.limits.cpu': '-1' }, 'trivy.resources.limits.cpu', /not a Kubernetes quantity/],
    [
      { 'trivy.resources.limits.memory': 'lots' },
      'trivy.resources.limits.memory',
      /not a Kubernetes quantity/,
    ],
    [{ 'trivy.resources.requests.ephemeral-storage': '1.2.3' }, 'trivy.resources.requests.ephemeral-storage'],
    [{ 'trivy.resources.limits.ephemeral-storage': 'Gi' }, 'trivy.resources.limits.ephemeral-storage'],
    [
      { 'trivy.additionalVulnerabilityReportFields': 'Description,Severity' },
      'trivy.additionalVulnerabilityReportFields',
      /"Severity" is not a report field/,
    ],
    [{ 'trivy.clientServerSkipUpdate': 'x' }, 'trivy.clientServerSkipUpdate', /not a boolean/],
    [{ 'trivy.command': 'sbom' }, 'trivy.command', /use image/],
    [
      {
        'trivy.ignoreFile': 'vulnerabilities:\n  - statement: x\n',
        'trivy.ignoreFileName': '.trivyignore.yaml',
      },
      'trivy.ignoreFile',
      /ignore file \.trivyignore\.yaml: vulnerabilities\[0\]\.id must be a vulnerability ID/,
    ],
    [
      { 'trivy.ignoreFile': 'CVE-1', 'trivy.ignoreFileName': '../x' },
      'trivy.ignoreFileName',
      /not a plain file name/,
    ],
  ];
  test('invalid values fail with a ConfigError naming the key', () => {
    for (const [data, key, pattern] of invalid)
      assertConfigError(() => parseTrivyConfig(data, {}), key, pattern);
  });

  test('trivy.ignoreFile: mounted as trivy.ignoreFileName (default .trivyignore); absent or blank = none', () => {
    assert.equal(parseTrivyConfig(DEFAULT_TRIVY_CONFIGMAP_DATA, {}).ignoreFileName, undefined);
    assert.equal(parseTrivyConfig({ 'trivy.ignoreFile': '  \n' }, {}).ignoreFileName, undefined);
    assert.equal(
      parseTrivyConfig({ 'trivy.ignoreFile': 'CVE-2023-45853\nCVE-2015-6420\n' }, {}).ignoreFileName,
      '.trivyignore',
    );
    assert.equal(
      parseTrivyConfig(
        {
          'trivy.ignoreFile': 'vulnerabilities:\n  - id: CVE-2023-45853\n    statement: minizip unused\n',
          'trivy.ignoreFileName': '.trivyignore.yaml',
        },
        {},
      ).ignoreFileName,
      '.trivyignore.yaml',
    );
  });

  test('trivy.command filesystem/rootfs: a warning, and image scanning', () => {
    const warnings: string[] = [];
    const config = parseTrivyConfig({ 'trivy.command': 'filesystem' }, {}, { warn: (m) => warnings.push(m) });
    assert.equal(config.command, 'image');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /trivy.command=filesystem is not supported by Vigil/);
  });

  test('secrets are read from the Secret and never shown when logged or serialised', () => {
    const config = parseTrivyConfig(cs, {
      'trivy.serverToken': 's3cr3t-token',
      'trivy.serverCustomHeaders': 'X-A:s3cr3t-header',
      'trivy.githubToken': 'ghp_s3cr3t',
      'trivy.dbRepositoryUsername': 'user',
      'trivy.dbRepositoryPassword': 's3cr3t-pass',
    });
    assert.equal(config.serverToken?.reveal(), 's3cr3t-token');
    assert.equal(config.serverCustomHeaders?.reveal(), 'X-A:s3cr3t-header');
    assert.equal(config.githubToken?.reveal(), 'ghp_s3cr3t');
    assert.equal(config.dbRepositoryPassword?.reveal(), 's3cr3t-pass');
    for (const shown of [JSON.stringify(config), inspect(config, { depth: 5 }), `${config.serverToken}`]) {
      assert.doesNotMatch(shown, /s3cr3t/);
    }
    assert.match(JSON.stringify(config), /"serverToken":"\[redacted\]"/);
    // A token in the ConfigMap instead of the Secret is not read as one.
    assert.equal(parseTrivyConfig({ ...cs, 'trivy.serverToken': 'x' }, {}).serverToken, undefined);
  });
});

describe('namespaces', () => {
  const ns = (targetNamespaces: string[], excludeNamespaces: string[] = []) => ({
    namespace: 'trivy-system',
    targetNamespaces,
    excludeNamespaces,
  });
  test('the four install modes of Trivy Operator', () => {
    assert.equal(installMode(ns([])), 'AllNamespaces');
    assert.equal(installMode(ns(['trivy-system'])), 'OwnNamespace');
    assert.equal(installMode(ns(['apps'])), 'SingleNamespace');
    assert.equal(installMode(ns(['apps', 'web'])), 'MultiNamespace');

    assert.equal(namespaceInScope(ns([]), 'anything'), true);
    assert.equal(namespaceInScope(ns([]), 'trivy-system'), true);
    assert.equal(namespaceInScope(ns(['trivy-system']), 'trivy-system'), true);
    assert.equal(namespaceInScope(ns(['trivy-system']), 'apps'), false);
    assert.equal(namespaceInScope(ns(['apps']), 'apps'), true);
    assert.equal(namespaceInScope(ns(['apps']), 'trivy-system'), false);
    assert.equal(namespaceInScope(ns(['apps']), 'web'), false);
    assert.equal(namespaceInScope(ns(['apps', 'web']), 'web'), true);
    assert.equal(namespaceInScope(ns(['apps', 'web']), 'trivy-system'), false);
    assert.equal(namespaceInScope(ns(['apps', 'trivy-system']), 'trivy-system'), true);
  });

  test('excludeNamespaces (globs) wins in every mode', () => {
    const all = ns([], ['kube-*', 'private']);
    assert.equal(namespaceInScope(all, 'kube-system'), false);
    assert.equal(namespaceInScope(all, 'kube-public'), false);
    assert.equal(namespaceInScope(all, 'private'), false);
    assert.equal(namespaceInScope(all, 'private-2'), true, 'an exact pattern excludes only that name');
    assert.equal(namespaceInScope(all, 'apps'), true);
    assert.equal(namespaceInScope(ns(['apps', 'kube-x'], ['kube-*']), 'kube-x'), false);
    assert.equal(namespaceInScope(ns(['kube-x'], ['kube-*']), 'kube-x'), false);
  });

  test('watched namespaces include the operator namespace for its scan Jobs', () => {
    assert.equal(watchedNamespaces(ns([])), undefined);
    assert.deepEqual(watchedNamespaces(ns(['trivy-system'])), ['trivy-system']);
    assert.deepEqual(watchedNamespaces(ns(['apps'])), ['apps', 'trivy-system']);
    assert.deepEqual(watchedNamespaces(ns(['apps', 'web'])), ['apps', 'web', 'trivy-system']);
  });
});

test('formatGoDuration writes what Go’s Duration.String writes', () => {
  const cases: Array<[number, string]> = [
    [0, '0s'],
    [86_400_000, '24h0m0s'],
    [3_600_000, '1h0m0s'],
    [300_000, '5m0s'],
    [90_000, '1m30s'],
    [1_500, '1.5s'],
    [250, '250ms'],
    [5_400_000, '1h30m0s'],
    [172_800_000, '48h0m0s'],
    [3_661_001, '1h1m1.001s'],
  ];
  for (const [ms, text] of cases) assert.equal(formatGoDuration(ms), text, `${ms} ms`);
});

test('parseBindAddress: Go listen addresses', () => {
  assert.deepEqual(parseBindAddress('k', ':8080'), { host: undefined, port: 8080 });
  assert.deepEqual(parseBindAddress('k', '127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
  assert.deepEqual(parseBindAddress('k', '0'), { host: undefined, port: 0 });
  assert.deepEqual(parseBindAddress('k', ':0'), { host: undefined, port: 0 });
  assert.deepEqual(parseBindAddress('k', '[::1]:9090'), { host: '::1', port: 9090 });
  assert.deepEqual(parseBindAddress('k', 'localhost:80'), { host: 'localhost', port: 80 });
  assertConfigError(() => parseBindAddress('k', '::1:80'), 'k', /IPv6/);
  assertConfigError(() => parseBindAddress('k', '[::1:80'), 'k', /unclosed/);
  assertConfigError(() => parseBindAddress('k', 'host:'), 'k', /no valid port/);
});

describe('unsupportedSettings', () => {
  test('settings asking for work Vigil does not do are named with what the user will not get', () => {
    const found = unsupportedSettings(
      {
        OPERATOR_EXPOSED_SECRET_SCANNER_ENABLED: 'true',
        OPERATOR_SBOM_GENERATION_ENABLED: 'false',
        OPERATOR_CONFIG_AUDIT_SCANNER_ENABLED: 'T',
        OPERATOR_INFRA_ASSESSMENT_SCANNER_ENABLED: '',
        OPERATOR_WEBHOOK_BROADCAST_URL: 'https://hooks.example/x',
        OPERATOR_VULNERABILITY_SCANNER_ENABLED: 'true',
      },
      {
        'trivy.ignorePolicy.apps.web-*': 'package trivy',
        'trivy.ignorePolicy': '  ',
        'trivy.sslCertDir': '/etc/ssl/certs',
        'trivy.ignoreFile': 'CVE-1',
        'trivy.severity': 'HIGH',
      },
    );
    assert.deepEqual(found, [
      {
        setting: 'OPERATOR_EXPOSED_SECRET_SCANNER_ENABLED=true',
        effect: 'no ExposedSecretReports are written',
      },
      { setting: 'OPERATOR_CONFIG_AUDIT_SCANNER_ENABLED=T', effect: 'no ConfigAuditReports are written' },
      { setting: 'OPERATOR_WEBHOOK_BROADCAST_URL', effect: 'reports are not sent to a webhook' },
      {
        setting: 'trivy.ignorePolicy.apps.web-*',
        effect: 'the Rego ignore policy is not applied (use trivy.ignoreFile)',
      },
      { setting: 'trivy.sslCertDir', effect: 'no extra CA certificates are mounted' },
    ]);
    assert.deepEqual(unsupportedSettings({}, DEFAULT_TRIVY_CONFIGMAP_DATA), [], 'defaults are quiet');
  });
});
