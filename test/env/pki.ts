import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  apiserverCert: string;
  apiserverKey: string;
  adminCert: string;
  adminKey: string;
  kubeletClientCert: string;
  kubeletClientKey: string;
  /** Serving certificate for the process node's kubelet endpoint (CN system:node:<name>, SAN 127.0.0.1). */
  nodeServingCert: string;
  nodeServingKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
}

/**
 * Creates the control plane's certificates with Debian's openssl: one CA (serving and client auth), the API
 * server's serving certificate for loopback and the in-cluster names, an admin client in system:masters, the
 * API server's kubelet client, the process node's serving certificate and the service-account signing key.
 */
export async function createPki(dir: string, nodeName: string): Promise<Pki> {
  await mkdir(dir, { recursive: true });
  const f = (name: string) => join(dir, name);
  const days = '7';
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await openssl([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.crt'),
    '-days',
    days,
    '-subj',
    '/CN=vigil-test-ca',
  ]);

  const issue = async (name: string, subject: string, extensions: string[]) =>
    openssl([
      'req',
      '-x509',
      ...ec,
      '-keyout',
      f(`${name}.key`),
      '-out',
      f(`${name}.crt`),
      '-days',
      days,
      '-subj',
      subject,
      '-CA',
      f('ca.crt'),
      '-CAkey',
      f('ca.key'),
      ...extensions.flatMap((e) => ['-addext', e]),
    ]);
  const server = ['basicConstraints=critical,CA:FALSE', 'extendedKeyUsage=serverAuth'];
  const client = ['basicConstraints=critical,CA:FALSE', 'extendedKeyUsage=clientAuth'];
  await Promise.all([
    issue('apiserver', '/CN=kube-apiserver', [
      ...server,
      'subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc',
    ]),
    issue('admin', '/O=system:masters/CN=vigil-admin', client),
    issue('apiserver-kubelet-client', '/O=system:masters/CN=kube-apiserver-kubelet-client', client),
    issue('node-serving', `/O=system:nodes/CN=system:node:${nodeName}`, [
      ...server,
      `subjectAltName=IP:127.0.0.1,DNS:${nodeName}`,
    ]),
    openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', f('sa.key')]),
  ]);
  await openssl(['pkey', '-in', f('sa.key'), '-pubout', '-out', f('sa.pub')]);
  return {
    dir,
    caCert: f('ca.crt'),
    caKey: f('ca.key'),
    apiserverCert: f('apiserver.crt'),
    apiserverKey: f('apiserver.key'),
    adminCert: f('admin.crt'),
    adminKey: f('admin.key'),
    kubeletClientCert: f('apiserver-kubelet-client.crt'),
    kubeletClientKey: f('apiserver-kubelet-client.key'),
    nodeServingCert: f('node-serving.crt'),
    nodeServingKey: f('node-serving.key'),
    serviceAccountKey: f('sa.key'),
    serviceAccountPub: f('sa.pub'),
  };
}

async function openssl(args: string[]): Promise<void> {
  try {
    await execFileAsync('openssl', args, { timeout: 60_000 });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`openssl ${args[0]} failed: ${stderr.trim()}`, { cause: error });
  }
}
