// The scan Job for one workload (README decisions 5 and 6): one vigil container per workload container to
// scan, the restricted Pod Security profile, env from Trivy Operator's ConfigMap/Secret keys, and the
// `<job>-regcred` Secret with the registry credentials the containers read.

import { parseReference } from '../../image/index.js';
import type { OwnerReference } from '../../k8s/index.js';
import { formatGoDuration } from '../../scan/index.js';
import { type ScanJobConfig, TRIVY_CONFIG_NAME, type TrivyConfigSnapshot } from './config.js';
import { normalizeRegistry, type RegistryCredential, registryOfImage } from './credentials.js';
import { isValidLabelValue, shortHash } from './hash.js';
import type {
  Container,
  EnvVar,
  Job,
  PodSecurityContext,
  PodSpec,
  Secret,
  SecurityContext,
} from './types.js';

export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'trivy-operator';
export const LABEL_SCANNER = 'vulnerabilityReport.scanner';
export const SCANNER_NAME = 'Trivy';
export const LABEL_RESOURCE_KIND = 'trivy-operator.resource.kind';
export const LABEL_RESOURCE_NAME = 'trivy-operator.resource.name';
export const LABEL_RESOURCE_NAME_HASH = 'trivy-operator.resource.name-hash';
export const LABEL_RESOURCE_NAMESPACE = 'trivy-operator.resource.namespace';
export const LABEL_RESOURCE_SPEC_HASH = 'resource-spec-hash';
export const ANNOTATION_CONTAINER_IMAGES = 'trivy-operator.container-images';
export const ANNOTATION_RESOURCE_NAME = 'trivy-operator.resource.name';
export const ANNOTATION_SECRET_TTL = 'trivy-operator.aquasecurity.github.io/secret-ttl';
export const ANNOTATION_SKIP_FILES = 'trivy-operator.aquasecurity.github.io/skip-files';
export const ANNOTATION_SKIP_DIRS = 'trivy-operator.aquasecurity.github.io/skip-dirs';

export const JOB_NAME_PREFIX = 'scan-vulnerabilityreport-';
/** Where `trivy.ignoreFile` is mounted (Trivy Operator's place). */
export const IGNORE_FILE_DIR = '/etc/trivy';
const IGNORE_FILE_VOLUME = 'ignorefile';

/** Where the scan containers keep the DB and the layer cache: the `tmp` emptyDir. */
export const CACHE_DIR = '/tmp/vigil/cache';
export const DB_INIT_CONTAINER = 'vigil-db-download';
/**
 * "nobody". Restricted Pod Security needs runAsNonRoot, and a kubelet refuses runAsNonRoot for an image whose
 * USER is root or not numeric unless runAsUser is set; vigil needs no identity of its own (it writes only to
 * the emptyDir, which is world-writable), so the conventional unprivileged UID works for any image build.
 * It is also what Trivy Operator's chart gives the Trivy server.
 */
export const SCAN_UID = 65534;

export interface ScanJobOwner {
  kind: string;
  name: string;
  /** "" for cluster-scoped owners. */
  namespace: string;
  uid: string;
  /** The workload's annotations: `…/skip-files` and `…/skip-dirs` override TRIVY_SKIP_FILES / _DIRS. */
  annotations?: Record<string, string>;
}

export interface ScanJobTarget {
  /** The workload container's name; the scan container gets the same name. */
  container: string;
  image: string;
}

/** The part of the workload's pod spec the builder reads (any pod spec type carries it). */
export interface WorkloadPodSpec {
  nodeSelector?: Record<string, string>;
  /** Used for the scan pod with scanJobsInSameNamespace. */
  serviceAccountName?: string;
  /** Used for the scan pod with scanJobsInSameNamespace. */
  imagePullSecrets?: Array<{ name?: string }>;
  [key: string]: unknown;
}

export interface ScanJobInput {
  owner: ScanJobOwner;
  /** The workload's pod-template hash (label `resource-spec-hash`). */
  specHash: string;
  targets: ScanJobTarget[];
  config: ScanJobConfig;
  /** Registry credentials by workload container name (see credentialsForImage). */
  credentials?: ReadonlyMap<string, RegistryCredential>;
  /**
   * The workload's pod spec. Used for the platform: a `kubernetes.io/arch` node selector makes the scan pull
   * that platform's image (`--platform linux/<arch>`), as the workload's nodes do; and, with
   * scanJobsInSameNamespace, for the scan pod's serviceAccountName and imagePullSecrets.
   */
  workloadPodSpec?: WorkloadPodSpec;
}

export interface ScanJobObjects {
  job: Job;
  /** `<job>-regcred`, present when some target has credentials; create it before the Job. */
  secret?: Secret;
}

/** `scan-vulnerabilityreport-<hash(kind/namespace/name)>`. */
export function scanJobName(owner: Pick<ScanJobOwner, 'kind' | 'name' | 'namespace'>): string {
  return `${JOB_NAME_PREFIX}${shortHash(`${owner.kind}/${owner.namespace}/${owner.name}`)}`;
}

export function regcredSecretName(jobName: string): string {
  return `${jobName}-regcred`;
}

/**
 * The labels that identify the workload a Job or report is for (name-hash when the name is no label value).
 * The name-hash hashes the name as a JSON string, so it equals workload/hash.ts computeHash(name), which the
 * report module uses for the same label: a Job and its reports carry the same value.
 */
export function resourceLabels(
  owner: Pick<ScanJobOwner, 'kind' | 'name' | 'namespace'>,
): Record<string, string> {
  return {
    [LABEL_RESOURCE_KIND]: owner.kind,
    ...(isValidLabelValue(owner.name)
      ? { [LABEL_RESOURCE_NAME]: owner.name }
      : { [LABEL_RESOURCE_NAME_HASH]: shortHash(JSON.stringify(owner.name)) }),
    [LABEL_RESOURCE_NAMESPACE]: owner.namespace,
  };
}

/**
 * Where the scan Job for `owner` is created: the operator namespace, or with scanJobsInSameNamespace the
 * workload's (a cluster-scoped owner has none: the operator namespace then).
 */
export function scanJobNamespace(
  owner: Pick<ScanJobOwner, 'namespace'>,
  config: Pick<ScanJobConfig, 'operatorNamespace' | 'scanJobsInSameNamespace'>,
): string {
  return config.scanJobsInSameNamespace && owner.namespace !== ''
    ? owner.namespace
    : config.operatorNamespace;
}

/**
 * The scan pod's identity. Default: OPERATOR_SERVICE_ACCOUNT and the scanner image's pull secrets, which live
 * in the operator namespace. In the workload's namespace those do not exist, so the pod runs as the workload
 * does (Trivy Operator §3.1): its ServiceAccount, "default" when it names none, and its imagePullSecrets.
 */
function podIdentity(
  config: ScanJobConfig,
  sameNamespace: boolean,
  spec: WorkloadPodSpec | undefined,
): Pick<PodSpec, 'serviceAccountName' | 'imagePullSecrets'> {
  if (!sameNamespace) {
    return {
      serviceAccountName: config.serviceAccount,
      ...(config.scannerImagePullSecrets?.length
        ? { imagePullSecrets: config.scannerImagePullSecrets.map((n) => ({ name: n })) }
        : {}),
    };
  }
  const pullSecrets = (spec?.imagePullSecrets ?? [])
    .map((s) => s?.name)
    .filter((n): n is string => typeof n === 'string' && n !== '')
    .map((name) => ({ name }));
  return {
    serviceAccountName: spec?.serviceAccountName || 'default',
    ...(pullSecrets.length > 0 ? { imagePullSecrets: pullSecrets } : {}),
  };
}

/** Builds the scan Job (and its credential Secret) for a workload. Pure: nothing is sent anywhere. */
export function buildScanJob(input: ScanJobInput): ScanJobObjects {
  const { owner, config, targets } = input;
  if (targets.length === 0)
    throw new Error(`scan Job for ${owner.kind} ${owner.name}: no containers to scan`);
  if (config.mode === 'ClientServer' && !config.serverURL) {
    throw new Error(
      'ClientServer mode needs trivy.serverURL (the scan server, e.g. http://trivy-service.<ns>:4975)',
    );
  }
  const name = scanJobName(owner);
  const namespace = scanJobNamespace(owner, config);
  const identity = podIdentity(
    config,
    config.scanJobsInSameNamespace === true && owner.namespace !== '',
    input.workloadPodSpec,
  );
  const secretName = regcredSecretName(name);
  const labels: Record<string, string> = {
    [LABEL_MANAGED_BY]: MANAGED_BY,
    [LABEL_SCANNER]: SCANNER_NAME,
    ...resourceLabels(owner),
    [LABEL_RESOURCE_SPEC_HASH]: input.specHash,
  };
  const annotations: Record<string, string> = {
    ...(config.annotations ?? {}),
    [ANNOTATION_CONTAINER_IMAGES]: JSON.stringify(
      Object.fromEntries(targets.map((t) => [t.container, t.image])),
    ),
    ...(isValidLabelValue(owner.name) ? {} : { [ANNOTATION_RESOURCE_NAME]: owner.name }),
  };
  const credentialed = targets.filter((t) => input.credentials?.has(t.container));
  const snapshot =
    config.scanJobsInSameNamespace === true && owner.namespace !== ''
      ? config.trivyConfigSnapshot
      : undefined;
  const trivySecretData = snapshot ? ownSecretData(config, snapshot) : {};
  // The ConfigMap is in the operator namespace only: a Job elsewhere carries the ignore file in its own Secret.
  const ignoreFileInSecret = 'trivy.ignoreFile' in trivySecretData;
  const refs = trivyConfigRefs(
    snapshot,
    secretName,
    Object.keys(trivySecretData).filter((k) => k !== 'trivy.ignoreFile'),
  );
  const platform = platformOf(input.workloadPodSpec);
  const containers = targets.map((target) =>
    scanContainer(
      target,
      config,
      platform,
      credentialed.includes(target) ? secretName : undefined,
      owner,
      refs,
    ),
  );
  const initContainers =
    config.mode === 'Standalone'
      ? [
          dbDownloadContainer(
            config,
            targets.map((t) => t.container),
            refs,
          ),
        ]
      : [];

  const podSpec: PodSpec = {
    restartPolicy: 'Never',
    serviceAccountName: identity.serviceAccountName,
    automountServiceAccountToken: config.automountServiceAccountToken ?? false,
    securityContext: podSecurityContext(config.podSecurityContext),
    affinity: config.affinity ?? {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'kubernetes.io/os', operator: 'In', values: ['linux'] }] },
          ],
        },
      },
    },
    ...(initContainers.length > 0 ? { initContainers } : {}),
    containers,
    volumes: [
      { name: 'tmp', emptyDir: {} },
      ...(config.ignoreFileName !== undefined
        ? [
            {
              name: IGNORE_FILE_VOLUME,
              ...(ignoreFileInSecret
                ? {
                    secret: { secretName, items: [{ key: 'trivy.ignoreFile', path: config.ignoreFileName }] },
                  }
                : {
                    configMap: {
                      name: TRIVY_CONFIG_NAME,
                      items: [{ key: 'trivy.ignoreFile', path: config.ignoreFileName }],
                    },
                  }),
            },
          ]
        : []),
    ],
    ...(identity.imagePullSecrets ? { imagePullSecrets: identity.imagePullSecrets } : {}),
    ...(config.tolerations?.length ? { tolerations: config.tolerations } : {}),
    ...(config.nodeSelector && Object.keys(config.nodeSelector).length > 0
      ? { nodeSelector: config.nodeSelector }
      : {}),
    ...(config.priorityClassName ? { priorityClassName: config.priorityClassName } : {}),
  };
  const job: Job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace, labels, annotations },
    spec: {
      backoffLimit: 0,
      completions: 1,
      ...(config.timeoutMs > 0 ? { activeDeadlineSeconds: Math.ceil(config.timeoutMs / 1000) } : {}),
      ...(config.jobTTLMs !== undefined && config.jobTTLMs > 0
        ? { ttlSecondsAfterFinished: Math.ceil(config.jobTTLMs / 1000) }
        : {}),
      template: {
        metadata: {
          labels: { ...labels, ...(config.podTemplateLabels ?? {}) },
          ...(config.annotations && Object.keys(config.annotations).length > 0
            ? { annotations: { ...config.annotations } }
            : {}),
        },
        spec: podSpec,
      },
    },
  };
  if (credentialed.length === 0 && Object.keys(trivySecretData).length === 0) return { job };
  const data: Record<string, string> = { ...trivySecretData };
  for (const target of credentialed) {
    const credential = input.credentials?.get(target.container);
    if (!credential) continue;
    data[`${target.container}.username`] = Buffer.from(credential.username, 'utf8').toString('base64');
    data[`${target.container}.password`] = Buffer.from(credential.password, 'utf8').toString('base64');
  }
  const secret: Secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: secretName,
      namespace,
      labels: { [LABEL_MANAGED_BY]: MANAGED_BY },
      ...(config.secretTTLMs !== undefined && config.secretTTLMs > 0
        ? { annotations: { [ANNOTATION_SECRET_TTL]: formatGoDuration(config.secretTTLMs) } }
        : {}),
    },
    data,
  };
  return { job, secret };
}

/**
 * The reference for the Job's Secret once the Job exists (it needs the Job's uid): the Secret is then
 * garbage-collected with the Job. blockOwnerDeletion false, so no finalizers permission is needed.
 */
export function ownerReferenceToJob(job: Pick<Job, 'metadata'>): OwnerReference {
  const uid = job.metadata.uid;
  if (!uid)
    throw new Error(`Job ${job.metadata.name} has no uid yet: use the object the API server returned`);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    name: job.metadata.name,
    uid,
    controller: true,
    blockOwnerDeletion: false,
  };
}

function scanContainer(
  target: ScanJobTarget,
  config: ScanJobConfig,
  platform: string | undefined,
  secretName: string | undefined,
  owner: ScanJobOwner,
  refs: TrivyConfigRefs,
): Container {
  const fromConfigMap = refs.configMap;
  const args = [
    'scan',
    'image',
    mirroredImage(target.image, config.registryMirrors),
    '--format',
    'json',
    '--output-encoding',
    config.compressLogs ? 'gzip+base64' : 'none',
    '--cache-dir',
    CACHE_DIR,
    ...(config.mode === 'ClientServer' ? ['--server', config.serverURL ?? ''] : ['--skip-db-update']),
    ...(platform ? ['--platform', platform] : []),
    // pods/log returns stdout and stderr together: only the report may be in it when the scan succeeds.
    '--quiet',
  ];
  const env = [
    // A writable HOME for anything that looks there, on a read-only root file system.
    { name: 'HOME', value: '/tmp' },
    fromConfigMap('TRIVY_SEVERITY', 'trivy.severity'),
    fromConfigMap('TRIVY_IGNORE_UNFIXED', 'trivy.ignoreUnfixed'),
    fromConfigMap('TRIVY_OFFLINE_SCAN', 'trivy.offlineScan'),
    fromConfigMap('TRIVY_TIMEOUT', 'trivy.timeout'),
    owner.annotations?.[ANNOTATION_SKIP_FILES] !== undefined
      ? { name: 'TRIVY_SKIP_FILES', value: owner.annotations[ANNOTATION_SKIP_FILES] }
      : fromConfigMap('TRIVY_SKIP_FILES', 'trivy.skipFiles'),
    owner.annotations?.[ANNOTATION_SKIP_DIRS] !== undefined
      ? { name: 'TRIVY_SKIP_DIRS', value: owner.annotations[ANNOTATION_SKIP_DIRS] }
      : fromConfigMap('TRIVY_SKIP_DIRS', 'trivy.skipDirs'),
    ...proxyEnv(refs),
  ].filter((e): e is EnvVar => e !== undefined);
  let insecure = false;
  if (config.mode === 'ClientServer') {
    const header = config.serverTokenHeader
      ? { name: 'TRIVY_TOKEN_HEADER', value: config.serverTokenHeader }
      : fromConfigMap('TRIVY_TOKEN_HEADER', 'trivy.serverTokenHeader');
    if (header) env.push(header);
    const token = config.hasServerToken ? refs.secret('TRIVY_TOKEN', 'trivy.serverToken') : undefined;
    if (token) env.push(token);
    const headers = config.hasCustomHeaders
      ? refs.secret('TRIVY_CUSTOM_HEADERS', 'trivy.serverCustomHeaders')
      : undefined;
    if (headers) env.push(headers);
    insecure ||= config.serverInsecure;
  }
  const registry = registryOfImage(mirroredImage(target.image, config.registryMirrors));
  const listed = (hosts: string[]) =>
    registry !== undefined && hosts.some((h) => normalizeRegistry(h) === registry);
  const nonSsl = listed(config.nonSslRegistries);
  // vigil's TRIVY_INSECURE covers both cases: no TLS verification, and plain HTTP when HTTPS fails (what
  // go-containerregistry's insecure option does). TRIVY_NON_SSL is kept for Trivy's sake; vigil ignores it.
  insecure ||= nonSsl || listed(config.insecureRegistries);
  if (insecure) env.push({ name: 'TRIVY_INSECURE', value: 'true' });
  if (nonSsl) env.push({ name: 'TRIVY_NON_SSL', value: 'true' });
  if (config.ignoreFileName !== undefined)
    env.push({ name: 'TRIVY_IGNOREFILE', value: `${IGNORE_FILE_DIR}/${config.ignoreFileName}` });
  if (secretName !== undefined) {
    env.push(
      fromSecret('TRIVY_USERNAME', secretName, `${target.container}.username`, false),
      fromSecret('TRIVY_PASSWORD', secretName, `${target.container}.password`, false),
    );
  }
  return {
    name: target.container,
    image: config.scannerImage,
    imagePullPolicy: config.imagePullPolicy,
    command: ['vigil'],
    args,
    env,
    ...(config.resources ? { resources: structuredClone(config.resources) } : {}),
    securityContext: containerSecurityContext(config.containerSecurityContext),
    terminationMessagePolicy: 'FallbackToLogsOnError',
    volumeMounts: [
      { name: 'tmp', mountPath: '/tmp' },
      ...(config.ignoreFileName !== undefined
        ? [
            {
              name: IGNORE_FILE_VOLUME,
              mountPath: `${IGNORE_FILE_DIR}/${config.ignoreFileName}`,
              subPath: config.ignoreFileName,
              readOnly: true,
            },
          ]
        : []),
    ],
  };
}

/**
 * Standalone: one download into the shared emptyDir before any scan starts, so the scan containers only read
 * the DB (no cache-lock race between them, Trivy Operator §10 #3).
 */
function dbDownloadContainer(config: ScanJobConfig, taken: string[], refs: TrivyConfigRefs): Container {
  let name = DB_INIT_CONTAINER;
  for (let i = 2; taken.includes(name); i++) name = `${DB_INIT_CONTAINER}-${i}`;
  const repositories = config.dbRepository
    .split(',')
    .map((r) => r.trim())
    .filter((r) => r !== '');
  return {
    name,
    image: config.scannerImage,
    imagePullPolicy: config.imagePullPolicy,
    command: ['vigil'],
    args: [
      'db',
      'download',
      '--cache-dir',
      CACHE_DIR,
      ...repositories.flatMap((r) => ['--db-repository', r]),
      ...(config.dbRepositoryInsecure ? ['--insecure'] : []),
      '--quiet',
    ],
    env: [
      { name: 'HOME', value: '/tmp' },
      ...proxyEnv(refs),
      // trivy.dbRepositoryUsername/Password: `vigil db download` reads TRIVY_USERNAME/TRIVY_PASSWORD (Trivy
      // Operator runs `trivy registry login` in an extra init container for the same effect).
      ...(config.hasDbRepositoryCredentials
        ? [
            refs.secret('TRIVY_USERNAME', 'trivy.dbRepositoryUsername'),
            refs.secret('TRIVY_PASSWORD', 'trivy.dbRepositoryPassword'),
          ].filter((e): e is EnvVar => e !== undefined)
        : []),
    ],
    ...(config.resources ? { resources: structuredClone(config.resources) } : {}),
    securityContext: containerSecurityContext(config.containerSecurityContext),
    terminationMessagePolicy: 'FallbackToLogsOnError',
    volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
  };
}

function podSecurityContext(override: PodSecurityContext | undefined): PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: SCAN_UID,
    runAsGroup: SCAN_UID,
    seccompProfile: { type: 'RuntimeDefault' },
    ...(override ?? {}),
  };
}

function containerSecurityContext(override: SecurityContext | undefined): SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    privileged: false,
    readOnlyRootFilesystem: true,
    ...(override ?? {}),
  };
}

function fromConfigMap(name: string, key: string): EnvVar {
  return { name, valueFrom: { configMapKeyRef: { name: TRIVY_CONFIG_NAME, key, optional: true } } };
}

function fromSecret(name: string, secret: string, key: string, optional: boolean): EnvVar {
  return {
    name,
    valueFrom: { secretKeyRef: { name: secret, key, ...(optional ? { optional: true } : {}) } },
  };
}

function proxyEnv(refs: TrivyConfigRefs): EnvVar[] {
  return [
    refs.configMap('HTTP_PROXY', 'trivy.httpProxy'),
    refs.configMap('HTTPS_PROXY', 'trivy.httpsProxy'),
    refs.configMap('NO_PROXY', 'trivy.noProxy'),
  ].filter((e): e is EnvVar => e !== undefined);
}

/**
 * What a Job outside the operator namespace (scanJobsInSameNamespace) carries in its own Secret, because the
 * `trivy-operator-trivy-config` ConfigMap and Secret are not there: the server token and custom headers
 * (ClientServer), the DB registry login (Standalone) and the ignore file. Values base64-encoded.
 */
function ownSecretData(config: ScanJobConfig, snapshot: TrivyConfigSnapshot): Record<string, string> {
  const data: Record<string, string> = {};
  const put = (key: string, value: string | undefined) => {
    if (value !== undefined) data[key] = Buffer.from(value, 'utf8').toString('base64');
  };
  if (config.mode === 'ClientServer') {
    if (config.hasServerToken) put('trivy.serverToken', snapshot.serverToken?.reveal());
    if (config.hasCustomHeaders) put('trivy.serverCustomHeaders', snapshot.serverCustomHeaders?.reveal());
  }
  if (
    config.mode === 'Standalone' &&
    config.hasDbRepositoryCredentials &&
    snapshot.dbRepositoryUsername &&
    snapshot.dbRepositoryPassword
  ) {
    put('trivy.dbRepositoryUsername', snapshot.dbRepositoryUsername.reveal());
    put('trivy.dbRepositoryPassword', snapshot.dbRepositoryPassword.reveal());
  }
  if (config.ignoreFileName !== undefined) put('trivy.ignoreFile', snapshot.ignoreFile ?? '');
  return data;
}

/** Where a scan container's Trivy settings come from; undefined = the variable is not set. */
interface TrivyConfigRefs {
  configMap(name: string, key: string): EnvVar | undefined;
  secret(name: string, key: string): EnvVar | undefined;
}

/**
 * Default: refs to the `trivy-operator-trivy-config` ConfigMap and Secret (optional, read when the pod
 * starts). With a snapshot (scanJobsInSameNamespace, where those objects do not exist): the loaded values as
 * literals, and the secrets from the Job's own Secret (`secretKeys` are the keys it holds).
 */
function trivyConfigRefs(
  snapshot: TrivyConfigSnapshot | undefined,
  secretName: string,
  secretKeys: readonly string[],
): TrivyConfigRefs {
  if (!snapshot)
    return {
      configMap: fromConfigMap,
      secret: (name, key) => fromSecret(name, TRIVY_CONFIG_NAME, key, true),
    };
  return {
    configMap: (name) => {
      const value = snapshot.env[name];
      return value === undefined ? undefined : { name, value };
    },
    secret: (name, key) => (secretKeys.includes(key) ? fromSecret(name, secretName, key, false) : undefined),
  };
}

/**
 * The reference after trivy.registry.mirror.<prefix> rewriting: the longest prefix of the fully qualified
 * name (Docker Hub as index.docker.io, as go-containerregistry prints it) is replaced by its mirror. A prefix
 * must end at a path, tag or digest boundary. Unparseable references are scanned as written.
 */
export function mirroredImage(image: string, mirrors: Record<string, string>): string {
  const entries = Object.entries(mirrors).filter(([k, v]) => k !== '' && v !== '');
  if (entries.length === 0) return image;
  let full: string;
  try {
    const ref = parseReference(image);
    const registry = ref.registry === 'docker.io' ? 'index.docker.io' : ref.registry;
    full = `${registry}/${ref.repository}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
  } catch {
    return image;
  }
  let best: [string, string] | undefined;
  for (const [prefix, mirror] of entries) {
    const wanted = prefix.replace(
      /^(https?:\/\/)?(docker\.io|registry-1\.docker\.io)(?=\/|$)/,
      'index.docker.io',
    );
    const boundary = full.length === wanted.length || /[/:@]/.test(full[wanted.length] ?? '');
    if (full.startsWith(wanted) && boundary && (best === undefined || wanted.length > best[0].length)) {
      best = [wanted, mirror];
    }
  }
  return best ? `${best[1]}${full.slice(best[0].length)}` : image;
}

function platformOf(spec: WorkloadPodSpec | undefined): string | undefined {
  const arch = spec?.nodeSelector?.['kubernetes.io/arch'];
  if (!arch || !/^[a-z0-9_]+$/.test(arch)) return undefined;
  const os = spec?.nodeSelector?.['kubernetes.io/os'] ?? 'linux';
  return `${os}/${arch}`;
}
