// `--input PATH`: an image that is not in a registry. Told apart by content, not by name: a directory or tar
// with manifest.json is `docker save` output (checked first: Docker 25+ writes an OCI layout beside it), one
// with oci-layout is an OCI image layout. "PATH:NAME" picks one image when the input holds several
// (a repo:tag for docker-archive, a ref.name for OCI layouts), as long as PATH itself does not exist.
import { stat } from 'node:fs/promises';
import { openDockerArchive } from './docker-archive.js';
import { ImageError } from './errors.js';
import { createDirectoryStore, createTarStore, type FileStore } from './file-store.js';
import type { ImageSource } from './image-source.js';
import { openOciLayout } from './oci-layout.js';
import type { Platform } from './platform.js';

export interface InputOptions {
  platform?: Platform | undefined;
}

export async function openImageInput(input: string, options: InputOptions = {}): Promise<ImageSource> {
  let path = input;
  let name: string | undefined;
  let info = await stat(path).catch(() => undefined);
  const colon = input.indexOf(':', input.lastIndexOf('/') + 1);
  if (info === undefined && colon > 0) {
    path = input.slice(0, colon);
    name = input.slice(colon + 1);
    info = await stat(path).catch(() => undefined);
  }
  if (info === undefined) {
    throw new ImageError('IMAGE_ARCHIVE', `--input ${input}: no such file or directory`);
  }
  let store: FileStore;
  if (info.isDirectory()) store = await createDirectoryStore(path);
  else if (info.isFile()) store = await createTarStore(path);
  else throw new ImageError('IMAGE_ARCHIVE', `--input ${input}: not a file or directory`);

  if (await store.has('manifest.json')) return openDockerArchive(store, { tag: name });
  if (await store.has('oci-layout')) return openOciLayout(store, { name, platform: options.platform });
  throw new ImageError(
    'IMAGE_ARCHIVE',
    `--input ${input}: neither a docker-archive (no manifest.json, as written by docker save) nor an OCI layout (no oci-layout file)`,
  );
}
