import { join } from 'node:path';
import { type ControlPlane, type ControlPlaneOptions, startControlPlane } from './control-plane.js';
import type { ImageRule } from './node/image-programs.js';
import { type ProcessNode, startProcessNode } from './node/process-node.js';

export interface LocalCluster {
  readonly controlPlane: ControlPlane;
  readonly node: ProcessNode;
  stop(): Promise<void>;
}

export interface LocalClusterOptions extends ControlPlaneOptions {
  imageRules?: readonly ImageRule[];
  imageId?: (image: string) => Promise<string>;
  log?: (message: string) => void;
}

/** The control plane plus one process node: a cluster whose pods run as local processes. */
export async function startLocalCluster(options: LocalClusterOptions = {}): Promise<LocalCluster> {
  const nodeName = options.nodeName ?? 'vigil-node-0';
  const controlPlane = await startControlPlane({ ...options, nodeName });
  try {
    const node = await startProcessNode({
      client: controlPlane.client,
      supervisor: controlPlane.supervisor,
      name: nodeName,
      dir: join(controlPlane.dir, 'node'),
      servingCert: controlPlane.pki.nodeServingCert,
      servingKey: controlPlane.pki.nodeServingKey,
      apiServerUrl: controlPlane.apiServerUrl,
      ...(options.imageRules ? { imageRules: options.imageRules } : {}),
      ...(options.imageId ? { imageId: options.imageId } : {}),
      ...(options.log ? { log: options.log } : {}),
    });
    return {
      controlPlane,
      node,
      async stop() {
        await node.stop();
        await controlPlane.stop();
      },
    };
  } catch (error) {
    await controlPlane.stop();
    throw error;
  }
}
