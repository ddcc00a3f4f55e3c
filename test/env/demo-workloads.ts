// What `vigil demo` deploys: three namespaces (one excluded from scanning), workloads of several kinds over
// the Debian and Alpine test images, and which report each in-scope container should get. Plain data, so the
// demo, its test and anyone reading the printout agree on the expectation.
import type { KubeObject } from '../../src/k8s/index.js';
import { buildLayer, type Layer } from './image-builder.js';

export const DEMO_NAMESPACES = ['demo-apps', 'demo-data', 'demo-skip'] as const;
/** Passed to the operator as OPERATOR_EXCLUDE_NAMESPACES: its workloads get no reports. */
export const EXCLUDED_NAMESPACE = 'demo-skip';

/** One report the demo waits for: the report's owner kind, a name (prefix for ReplicaSets) and the container. */
export interface ExpectedReport {
  namespace: string;
  /** The workload as people name it, e.g. "deployment/web". */
  workload: string;
  /** The report owner's kind as in the `trivy-operator.resource.kind` label. */
  ownerKind: string;
  /** The owner's name, or its prefix when the name is generated (a Deployment's ReplicaSet). */
  ownerName: string;
  ownerNameIsPrefix: boolean;
  container: string;
  image: string;
}

export interface DemoImages {
  /** Tag reference of the debootstrapped Debian bookworm image. */
  debian: string;
  /** Tag reference of the small Alpine 3.10 image (musl and OpenSSL from the apk database). */
  alpine: string;
  /** The Alpine image pinned by digest (a CronJob has no running pod whose digest the operator could read). */
  alpineByDigest: string;
}

// An apk database with two packages whose versions the test DB has advisories for (alpine 3.10: musl
// CVE-2019-14697, openssl CVE-2019-1549/1551), so the Alpine rows show findings from a different OS driver.
const APK_INSTALLED = [
  'P:musl',
  'V:1.1.20-r4',
  'A:x86_64',
  'o:musl',
  'L:MIT',
  '',
  'P:libssl1.1',
  'V:1.1.1c-r0',
  'A:x86_64',
  'o:openssl',
  'L:OpenSSL',
  '',
  'P:libcrypto1.1',
  'V:1.1.1c-r0',
  'A:x86_64',
  'o:openssl',
  'L:OpenSSL',
  '',
  '',
].join('\n');

/** A one-layer Alpine 3.10 image: release files and the apk database (no binaries: images are never run). */
export function alpineLayer(workDir: string): Promise<Layer> {
  return buildLayer(
    {
      files: [
        { path: '/etc/alpine-release', content: '3.10.2\n' },
        {
          path: '/etc/os-release',
          content: 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.10.2\nPRETTY_NAME="Alpine Linux v3.10"\n',
        },
        { path: '/lib/apk/db/installed', content: APK_INSTALLED },
      ],
    },
    workDir,
  );
}

const podSpec = (containers: { name: string; image: string; command?: string[] }[]) => ({
  containers: containers.map((c) => ({ ...c })),
});

/** The sample objects, each with the API path to create it under. */
export function demoWorkloads(images: DemoImages): { path: string; object: KubeObject }[] {
  const apps = 'demo-apps';
  const data = 'demo-data';
  const skip = EXCLUDED_NAMESPACE;
  return [
    {
      path: `/apis/apps/v1/namespaces/${apps}/deployments`,
      object: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: apps, labels: { app: 'web' } },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: podSpec([{ name: 'web', image: images.debian }]),
          },
        },
      },
    },
    {
      path: `/api/v1/namespaces/${apps}/pods`,
      object: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'toolbox', namespace: apps },
        spec: podSpec([{ name: 'shell', image: images.alpine }]),
      },
    },
    {
      path: `/apis/apps/v1/namespaces/${data}/statefulsets`,
      object: {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 'db', namespace: data },
        spec: {
          serviceName: 'db',
          replicas: 1,
          selector: { matchLabels: { app: 'db' } },
          template: {
            metadata: { labels: { app: 'db' } },
            spec: podSpec([
              { name: 'db', image: images.debian },
              { name: 'metrics', image: images.alpine },
            ]),
          },
        },
      },
    },
    {
      path: `/apis/batch/v1/namespaces/${data}/cronjobs`,
      object: {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'backup', namespace: data },
        spec: {
          schedule: '30 3 * * *',
          jobTemplate: {
            spec: {
              template: {
                spec: {
                  restartPolicy: 'OnFailure',
                  containers: [{ name: 'backup', image: images.alpineByDigest, command: ['true'] }],
                },
              },
            },
          },
        },
      },
    },
    {
      path: `/apis/apps/v1/namespaces/${skip}/deployments`,
      object: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'legacy', namespace: skip },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'legacy' } },
          template: {
            metadata: { labels: { app: 'legacy' } },
            spec: podSpec([{ name: 'legacy', image: images.debian }]),
          },
        },
      },
    },
  ];
}

/** Every in-scope container and the report it must get (nothing for the excluded namespace). */
export function expectedReports(images: DemoImages): ExpectedReport[] {
  return [
    {
      namespace: 'demo-apps',
      workload: 'deployment/web',
      ownerKind: 'ReplicaSet',
      ownerName: 'web-',
      ownerNameIsPrefix: true,
      container: 'web',
      image: images.debian,
    },
    {
      namespace: 'demo-apps',
      workload: 'pod/toolbox',
      ownerKind: 'Pod',
      ownerName: 'toolbox',
      ownerNameIsPrefix: false,
      container: 'shell',
      image: images.alpine,
    },
    {
      namespace: 'demo-data',
      workload: 'statefulset/db',
      ownerKind: 'StatefulSet',
      ownerName: 'db',
      ownerNameIsPrefix: false,
      container: 'db',
      image: images.debian,
    },
    {
      namespace: 'demo-data',
      workload: 'statefulset/db',
      ownerKind: 'StatefulSet',
      ownerName: 'db',
      ownerNameIsPrefix: false,
      container: 'metrics',
      image: images.alpine,
    },
    {
      namespace: 'demo-data',
      workload: 'cronjob/backup',
      ownerKind: 'CronJob',
      ownerName: 'backup',
      ownerNameIsPrefix: false,
      container: 'backup',
      image: images.alpineByDigest,
    },
  ];
}
