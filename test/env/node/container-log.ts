import { EventEmitter } from 'node:events';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';

/** One captured line, as a CRI runtime keeps it: when, which stream, what. */
export interface LogLine {
  time: Date;
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface LogQuery {
  timestamps?: boolean;
  tailLines?: number;
  limitBytes?: number;
  since?: Date;
}

/**
 * The log of one container run, kept as CRI-format lines in a file (`<RFC3339Nano> <stream> F <text>`), so the
 * log server can honour tailLines, timestamps and since*, and can follow a running container.
 */
export class ContainerLog extends EventEmitter {
  readonly file: string;
  private partial: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
  private ended = false;

  constructor(file: string) {
    super();
    this.file = file;
    writeFileSync(file, '');
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Appends raw output; complete lines are stored at once, a trailing partial line waits for its newline. */
  write(stream: 'stdout' | 'stderr', chunk: Buffer | string): void {
    const text = this.partial[stream] + chunk.toString();
    const lines = text.split('\n');
    this.partial[stream] = lines.pop() ?? '';
    for (const line of lines) this.append({ time: new Date(), stream, text: line });
  }

  /** Flushes partial lines and tells followers that no more output will come. */
  end(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.partial[stream].length > 0)
        this.append({ time: new Date(), stream, text: this.partial[stream] });
      this.partial[stream] = '';
    }
    this.ended = true;
    this.emit('end');
  }

  lines(): LogLine[] {
    const content = readFileSync(this.file, 'utf8');
    const out: LogLine[] = [];
    for (const raw of content.split('\n')) {
      if (raw.length === 0) continue;
      const first = raw.indexOf(' ');
      const second = raw.indexOf(' ', first + 1);
      const third = raw.indexOf(' ', second + 1);
      out.push({
        time: new Date(raw.slice(0, first)),
        stream: raw.slice(first + 1, second) === 'stderr' ? 'stderr' : 'stdout',
        text: raw.slice(third + 1),
      });
    }
    return out;
  }

  /** The lines a non-following request gets, after tailLines and since are applied. */
  select(query: LogQuery): LogLine[] {
    let lines = this.lines();
    if (query.since) lines = lines.filter((line) => line.time >= query.since!);
    if (query.tailLines !== undefined) lines = query.tailLines === 0 ? [] : lines.slice(-query.tailLines);
    return lines;
  }

  /** The last lines of output, at most maxBytes, as kubelet's FallbackToLogsOnError message takes them. */
  tail(maxLines: number, maxBytes: number): string {
    const text = this.lines()
      .slice(-maxLines)
      .map((line) => line.text)
      .join('\n');
    return Buffer.byteLength(text) <= maxBytes ? text : Buffer.from(text).subarray(-maxBytes).toString();
  }

  private append(line: LogLine): void {
    appendFileSync(this.file, `${formatTime(line.time)} ${line.stream} F ${line.text}\n`);
    this.emit('line', line);
  }
}

export function formatLine(line: LogLine, timestamps: boolean): string {
  return timestamps ? `${formatTime(line.time)} ${line.text}\n` : `${line.text}\n`;
}

/** RFC 3339 with nanoseconds, as the kubelet prints timestamps. */
export function formatTime(time: Date): string {
  return time.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}
