// The image config blob: parsed loosely (scanners read a few fields), bounded in size.
import { ImageError } from './errors.js';
import type { ImageConfig } from './image-source.js';
import { isObject } from './manifest.js';

/** Configs are small (history and env); 16 MiB leaves room for the largest real ones. */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

export function parseConfig(bytes: Buffer, name: string): ImageConfig {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new ImageError('IMAGE_BAD_MANIFEST', `the config of ${name} is not valid JSON`, { cause: error });
  }
  if (!isObject(json))
    throw new ImageError('IMAGE_BAD_MANIFEST', `the config of ${name} is not a JSON object`);
  const rootfs = json.rootfs;
  if (rootfs !== undefined && (!isObject(rootfs) || !Array.isArray(rootfs.diff_ids))) {
    throw new ImageError('IMAGE_BAD_MANIFEST', `the config of ${name} has a rootfs without a diff_ids list`);
  }
  return json as ImageConfig;
}
