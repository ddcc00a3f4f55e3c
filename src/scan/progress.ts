/**
 * The progress line for long layer pulls: nothing for the first seconds (most pulls are over by then), then
 * on a terminal one line redrawn in place a few times a second, elsewhere (a scan Job's log) a plain line
 * every so often. Driven by the bytes as they arrive; no timers, so nothing outlives the pull.
 */
import type { LayerProgress } from './inspect-image.js';

export interface ProgressOptions {
  write(text: string): void;
  /** Redraw in place (a terminal) instead of appending lines. */
  tty: boolean;
  now?: () => number;
  /** Quiet period before the first line (default 2 s). */
  delayMs?: number;
  /** Between lines: default 200 ms on a terminal, 10 s otherwise. */
  intervalMs?: number;
}

export function createProgress(options: ProgressOptions): LayerProgress {
  const now = options.now ?? Date.now;
  const delay = options.delayMs ?? 2000;
  const interval = options.intervalMs ?? (options.tty ? 200 : 10_000);
  let started = 0;
  let lastLine = -Infinity;
  let total = 0;
  let layers = 0;
  let done = 0;
  let bytes = 0;
  let shown = false;

  const line = () => {
    const elapsed = Math.max(now() - started, 1) / 1000;
    const percent = total > 0 ? ` (${Math.min(100, Math.floor((bytes / total) * 100))}%)` : '';
    return `Pulling layers: ${mib(bytes)} of ${mib(total)}${percent}, ${done}/${layers} layers analysed, ${mib(bytes / elapsed)}/s`;
  };
  const show = () => {
    const t = now();
    if (t - started < delay || t - lastLine < interval) return;
    lastLine = t;
    shown = true;
    options.write(options.tty ? `\r\u001b[K${line()}` : `${line()}\n`);
  };

  return {
    start(layerCount, byteCount) {
      started = now();
      layers = layerCount;
      total = byteCount;
    },
    add(n) {
      bytes += n;
      show();
    },
    layerDone() {
      done++;
      show();
    },
    finish() {
      if (shown && options.tty) options.write(`\r\u001b[K${line()}\n`);
    },
  };
}

function mib(bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}
