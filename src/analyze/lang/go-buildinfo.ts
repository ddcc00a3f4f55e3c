/**
 * The build information the Go linker embeds in executables (Go's debug/buildinfo and runtime/debug formats):
 * the `.go.buildinfo` section starts with `\xff Go buildinf:`, a pointer size and a flags byte. With flag 2
 * (Go ≥ 1.18) the Go version and the module info follow at offset 32 as varint-length-prefixed strings;
 * older binaries store two pointers to Go string headers instead. The module info (16-byte sentinels around
 * it) is tab-separated lines: `path`, `mod`, `dep`, `=>` (replaces the line before) and `build key=value`.
 */
import type { ElfFile } from './elf.js';

export interface GoModule {
  path: string;
  version: string;
  sum: string;
  replace?: GoModule;
}

export interface GoBuildInfo {
  goVersion: string;
  path: string;
  main?: GoModule;
  deps: GoModule[];
  settings: Array<{ key: string; value: string }>;
}

const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');

function readVarint(data: Buffer, at: number): { value: number; next: number } | undefined {
  let value = 0;
  let shift = 0;
  for (let i = at; i < data.length && i < at + 10; i++) {
    const byte = data[i] as number;
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return { value, next: i + 1 };
    shift += 7;
  }
  return undefined;
}

function readInlineStrings(data: Buffer): [string, string] | undefined {
  const out: string[] = [];
  let at = 32;
  for (let i = 0; i < 2; i++) {
    const length = readVarint(data, at);
    if (!length || length.next + length.value > data.length) return undefined;
    out.push(data.toString('utf8', length.next, length.next + length.value));
    at = length.next + length.value;
  }
  return [out[0] ?? '', out[1] ?? ''];
}

function readPointerStrings(
  elf: ElfFile,
  data: Buffer,
  ptrSize: number,
  bigEndian: boolean,
): [string, string] | undefined {
  const ptr = (buf: Buffer, at: number): bigint | undefined => {
    if (at + ptrSize > buf.length) return undefined;
    if (ptrSize === 8) return bigEndian ? buf.readBigUInt64BE(at) : buf.readBigUInt64LE(at);
    return BigInt(bigEndian ? buf.readUInt32BE(at) : buf.readUInt32LE(at));
  };
  const goString = (addr: bigint | undefined): string | undefined => {
    if (addr === undefined) return undefined;
    const header = elf.readAt(addr, 2 * ptrSize);
    if (!header) return undefined;
    const dataAddr = ptr(header, 0);
    const length = ptr(header, ptrSize);
    if (dataAddr === undefined || length === undefined || length > 1n << 24n) return undefined;
    return elf.readAt(dataAddr, Number(length))?.toString('utf8');
  };
  const version = goString(ptr(data, 16));
  const mod = goString(ptr(data, 16 + ptrSize));
  return version === undefined || mod === undefined ? undefined : [version, mod];
}

function unquote(value: string): string {
  if (!value.startsWith('"')) return value;
  try {
    return JSON.parse(value) as string;
  } catch {
    return value;
  }
}

export function parseModInfo(text: string): Omit<GoBuildInfo, 'goVersion'> {
  const info: Omit<GoBuildInfo, 'goVersion'> = { path: '', deps: [], settings: [] };
  let last: GoModule | undefined;
  for (const line of text.split('\n')) {
    const fields = line.split('\t');
    const module = (): GoModule => ({
      path: fields[1] ?? '',
      version: fields[2] ?? '',
      sum: fields[3] ?? '',
    });
    switch (fields[0]) {
      case 'path':
        info.path = fields[1] ?? '';
        break;
      case 'mod':
        last = module();
        info.main = last;
        break;
      case 'dep':
        last = module();
        info.deps.push(last);
        break;
      case '=>':
        if (last) last.replace = module();
        last = undefined;
        break;
      case 'build': {
        const rest = line.slice('build\t'.length);
        const eq = rest.startsWith('"') ? rest.indexOf('=', rest.indexOf('"', 1) + 1) : rest.indexOf('=');
        if (eq < 0) break;
        info.settings.push({ key: unquote(rest.slice(0, eq)), value: unquote(rest.slice(eq + 1)) });
        break;
      }
    }
  }
  return info;
}

/** The binary's build info, or undefined when it is not a Go executable. */
export function readGoBuildInfo(elf: ElfFile): GoBuildInfo | undefined {
  const section = elf.section('.go.buildinfo');
  if (!section) return undefined;
  const start = section.indexOf(MAGIC);
  if (start < 0 || start % 16 !== 0) return undefined;
  const data = section.subarray(start);
  if (data.length < 32) return undefined;
  const ptrSize = data[14] as number;
  const flags = data[15] as number;
  const strings =
    (flags & 2) !== 0
      ? readInlineStrings(data)
      : ptrSize === 4 || ptrSize === 8
        ? readPointerStrings(elf, data, ptrSize, (flags & 1) !== 0)
        : undefined;
  if (!strings) return undefined;
  const [goVersion, rawMod] = strings;
  if (goVersion === '') return undefined;
  let mod = rawMod;
  if (mod.length >= 33 && mod[mod.length - 17] === '\n') mod = mod.slice(16, mod.length - 16);
  else mod = '';
  return { goVersion, ...parseModInfo(mod) };
}
