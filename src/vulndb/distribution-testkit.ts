// Test helpers for the DB distribution: a trivy-db artifact built the way trivy-db's CI builds it (the
// fixture YAML loaded into trivy.db, `tar czf db.tar.gz trivy.db metadata.json`, pushed as a single-layer
// OCI artifact with Trivy's media types and title annotation). Test support only.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pushArtifact } from '../../test/env/image-builder.js';
import type { LocalRegistry } from '../../test/env/registry.js';
import { DB_CONFIG_MEDIA_TYPE, DB_LAYER_MEDIA_TYPE } from './db-download.js';
import { buildDbFromFixtures } from './fixture-loader.js';
import { trivyDbFixturesDir } from './testkit.js';

export interface DbArchive {
  /** The directory holding trivy.db and metadata.json as packed. */
  dir: string;
  tarball: string;
  db: Buffer;
  metadataText: string;
}

export function metadataJson(fields: {
  version?: number;
  nextUpdate: string;
  updatedAt: string;
  downloadedAt?: string;
}): string {
  return JSON.stringify({
    Version: fields.version ?? 2,
    NextUpdate: fields.nextUpdate,
    UpdatedAt: fields.updatedAt,
    DownloadedAt: fields.downloadedAt ?? '0001-01-01T00:00:00Z',
  });
}

/** trivy.db from the shared fixtures (or the given YAML files) plus metadata.json, tarred and gzip'd. */
export async function buildDbArchive(
  workDir: string,
  name: string,
  options: {
    metadata: string;
    fixtures?: string[];
    /** An existing trivy.db to pack instead of building one. */
    db?: string;
    /** Pack only these of trivy.db and metadata.json (default both). */
    files?: string[];
  },
): Promise<DbArchive> {
  const dir = join(workDir, name);
  mkdirSync(dir, { recursive: true });
  const fixtures = () =>
    options.fixtures ??
    readdirSync(trivyDbFixturesDir())
      .filter((f) => f.endsWith('.yaml'))
      .sort()
      .map((f) => join(trivyDbFixturesDir(), f));
  if (options.db === undefined) await buildDbFromFixtures(fixtures(), join(dir, 'trivy.db'));
  else copyFileSync(options.db, join(dir, 'trivy.db'));
  writeFileSync(join(dir, 'metadata.json'), options.metadata);
  const tarball = join(workDir, `${name}.tar.gz`);
  execFileSync('tar', ['-czf', tarball, '-C', dir, ...(options.files ?? ['trivy.db', 'metadata.json'])]);
  return { dir, tarball, db: readFileSync(join(dir, 'trivy.db')), metadataText: options.metadata };
}

/** Pushes a tarball as trivy-db is published (oras push with artifact type and title annotation). */
export async function pushDbArtifact(
  registry: LocalRegistry,
  repository: string,
  tag: string,
  tarball: Buffer | { file: string },
  options: { mediaType?: string; title?: string | null; extraLayer?: boolean } = {},
): Promise<{ manifestDigest: string; reference: string }> {
  const layer = {
    mediaType: options.mediaType ?? DB_LAYER_MEDIA_TYPE,
    content: tarball,
    ...(options.title === null
      ? {}
      : { annotations: { 'org.opencontainers.image.title': options.title ?? 'db.tar.gz' } }),
  };
  const { manifestDigest } = await pushArtifact(registry, repository, tag, {
    artifactType: DB_CONFIG_MEDIA_TYPE,
    config: { mediaType: DB_CONFIG_MEDIA_TYPE, content: Buffer.from('{}') },
    layers: options.extraLayer
      ? [layer, { mediaType: DB_LAYER_MEDIA_TYPE, content: Buffer.from('x') }]
      : [layer],
  });
  return { manifestDigest, reference: `${registry.host}/${repository}:${tag}` };
}
