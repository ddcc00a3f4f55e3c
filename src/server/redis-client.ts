/**
 * A small Redis client for the shared cache backend: RESP2 over one TCP (or TLS, `rediss://`) connection,
 * commands pipelined in order, AUTH and SELECT from the URL (`redis://[user:password@]host:port[/db]`). A
 * broken connection fails the commands waiting on it and is made again for the next command, so a Redis
 * restart costs the calls in flight, not the server. Every failure is a ServerError SERVER_CACHE.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { messageOf, ServerError } from './errors.js';

export type RespValue = string | number | Buffer | null | RespValue[] | Error;

export interface RedisClient {
  command(args: readonly (string | Buffer)[]): Promise<RespValue>;
  close(): Promise<void>;
}

export interface RedisOptions {
  url: string;
  /** Connect and per-command deadline (default 5 s). */
  timeoutMs?: number;
}

interface Pending {
  resolve: (value: RespValue) => void;
  reject: (error: Error) => void;
}

/** Where the URL points, without its password (for messages and logs). */
export function redisTarget(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
}

function encode(args: readonly (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = typeof arg === 'string' ? Buffer.from(arg, 'utf8') : arg;
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** Parses one reply at offset; undefined when the buffer does not hold all of it yet. */
function parse(buf: Buffer, offset: number): { value: RespValue; next: number } | undefined {
  const eol = buf.indexOf('\r\n', offset);
  if (eol < 0) return undefined;
  const type = String.fromCharCode(buf[offset] ?? 0);
  const line = buf.toString('utf8', offset + 1, eol);
  switch (type) {
    case '+':
      return { value: line, next: eol + 2 };
    case '-':
      return { value: new Error(line), next: eol + 2 };
    case ':':
      return { value: Number(line), next: eol + 2 };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, next: eol + 2 };
      const end = eol + 2 + length;
      if (buf.length < end + 2) return undefined;
      return { value: buf.subarray(eol + 2, end), next: end + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, next: eol + 2 };
      const items: RespValue[] = [];
      let next = eol + 2;
      for (let i = 0; i < count; i++) {
        const item = parse(buf, next);
        if (item === undefined) return undefined;
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      throw new Error(`unexpected reply type ${JSON.stringify(type)}`);
  }
}

export function createRedisClient(options: RedisOptions): RedisClient {
  const url = new URL(options.url);
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new ServerError(
      'SERVER_CONFIG',
      `${redisTarget(options.url)}: a Redis URL starts with redis:// or rediss://`,
    );
  }
  const target = redisTarget(options.url);
  const timeoutMs = options.timeoutMs ?? 5000;
  const port = Number(url.port || 6379);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const db = url.pathname.replace(/^\//, '');
  let socket: Socket | undefined;
  let ready: Promise<Socket> | undefined;
  let pending: Pending[] = [];
  let buffer: Buffer = Buffer.alloc(0);
  let closed = false;

  function failAll(error: Error): void {
    const waiting = pending;
    pending = [];
    for (const p of waiting) p.reject(error);
  }

  function onData(chunk: Buffer): void {
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    let offset = 0;
    for (;;) {
      let parsed: ReturnType<typeof parse>;
      try {
        parsed = parse(buffer, offset);
      } catch (error) {
        socket?.destroy(error as Error);
        return;
      }
      if (parsed === undefined) break;
      offset = parsed.next;
      const waiter = pending.shift();
      if (parsed.value instanceof Error) waiter?.reject(new Error(parsed.value.message));
      else waiter?.resolve(parsed.value);
    }
    buffer = buffer.subarray(offset);
    // Only an unanswered command makes silence an error; an idle connection may stay open.
    if (pending.length === 0) socket?.setTimeout(0);
  }

  function send(s: Socket, args: readonly (string | Buffer)[]): Promise<RespValue> {
    return new Promise((resolve, reject) => {
      if (s.destroyed || !s.writable) {
        reject(new ServerError('SERVER_CACHE', `Redis ${target}: the connection is closed`));
        return;
      }
      pending.push({ resolve, reject });
      s.setTimeout(timeoutMs);
      s.write(encode(args), (error) => {
        if (error) s.destroy(error);
      });
    });
  }

  function open(): Promise<Socket> {
    ready ??= new Promise<Socket>((resolve, reject) => {
      buffer = Buffer.alloc(0);
      const s =
        url.protocol === 'rediss:'
          ? tlsConnect({ host, port, servername: host })
          : netConnect({ host, port });
      socket = s;
      let connected = false;
      let over = false;
      s.setTimeout(timeoutMs);
      s.on('data', onData);
      const broken = (error: Error) => {
        if (over) return;
        over = true;
        if (socket === s) {
          socket = undefined;
          ready = undefined;
        }
        const message = connected
          ? `Redis ${target}: ${error.message}`
          : `cannot reach Redis at ${target}: ${error.message}`;
        failAll(new ServerError('SERVER_CACHE', message, error));
        reject(new ServerError('SERVER_CACHE', message, error));
        s.destroy();
      };
      s.on('error', broken);
      s.on('timeout', () => s.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      s.on('close', () => broken(new Error('connection closed')));
      s.once(url.protocol === 'rediss:' ? 'secureConnect' : 'connect', () => {
        connected = true;
        void (async () => {
          try {
            if (url.password) {
              const user = decodeURIComponent(url.username);
              const password = decodeURIComponent(url.password);
              await send(s, user ? ['AUTH', user, password] : ['AUTH', password]);
            }
            if (db) await send(s, ['SELECT', db]);
            if (pending.length === 0) s.setTimeout(0);
            resolve(s);
          } catch (error) {
            s.destroy(new Error(`the connection was refused: ${messageOf(error)}`));
          }
        })();
      });
    });
    return ready;
  }

  return {
    async command(args) {
      if (closed) throw new ServerError('SERVER_CACHE', `Redis ${target}: the client is closed`);
      let s: Socket;
      try {
        s = await open();
      } catch (error) {
        throw ServerError.is(error)
          ? error
          : new ServerError('SERVER_CACHE', `Redis ${target}: ${messageOf(error)}`, error);
      }
      try {
        return await send(s, args);
      } catch (error) {
        if (ServerError.is(error)) throw error;
        throw new ServerError(
          'SERVER_CACHE',
          `Redis ${target}: ${args[0]} failed: ${messageOf(error)}`,
          error,
        );
      }
    },
    async close() {
      closed = true;
      const s = socket;
      if (s === undefined) return;
      await new Promise<void>((resolve) => {
        s.once('close', () => resolve());
        s.end();
        setTimeout(() => {
          s.destroy();
          resolve();
        }, 1000).unref();
      });
    },
  };
}
