/** The Kubernetes API boundary's error: an HTTP status (0 for network failures) plus the API's Status reason. */
export class KubeApiError extends Error {
  readonly status: number;
  readonly reason: string;
  readonly body: string;

  constructor(message: string, status: number, reason: string, body: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'KubeApiError';
    this.status = status;
    this.reason = reason;
    this.body = body;
  }

  static fromResponse(method: string, path: string, status: number, body: string): KubeApiError {
    let reason = '';
    let detail = body.slice(0, 500);
    try {
      const parsed = JSON.parse(body) as { reason?: string; message?: string };
      reason = parsed.reason ?? '';
      detail = parsed.message ?? detail;
    } catch {
      // not a Status object; keep the raw text
    }
    return new KubeApiError(`${method} ${path}: ${status} ${reason}: ${detail}`.trim(), status, reason, body);
  }

  static network(method: string, path: string, cause: unknown): KubeApiError {
    const detail = cause instanceof Error ? cause.message : String(cause);
    return new KubeApiError(
      `${method} ${path}: cannot reach the API server: ${detail}`,
      0,
      'NetworkError',
      '',
      cause,
    );
  }

  get isNotFound(): boolean {
    return this.status === 404;
  }
  get isConflict(): boolean {
    return this.status === 409;
  }
  get isGone(): boolean {
    return this.status === 410;
  }
}
