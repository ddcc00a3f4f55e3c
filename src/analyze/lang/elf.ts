/**
 * Just enough ELF (System V gABI) to find sections and symbols in a binary held in memory: 32/64-bit, either
 * byte order. Every offset is checked against the buffer; a malformed file yields undefined, never a throw
 * from out-of-range reads.
 */
export interface ElfSection {
  name: string;
  type: number;
  addr: bigint;
  offset: number;
  size: number;
}

export interface ElfFile {
  is64: boolean;
  littleEndian: boolean;
  sections: ElfSection[];
  section(name: string): Buffer | undefined;
  /** Bytes at a virtual address, from the section that maps it. */
  readAt(addr: bigint, length: number): Buffer | undefined;
  symbols(): Array<{ name: string; value: bigint; size: number; section: number }>;
}

const SHT_NOBITS = 8;
const SHT_SYMTAB = 2;
const MAX_SECTIONS = 65535;

export function isElf(data: Buffer): boolean {
  return data.length >= 52 && data[0] === 0x7f && data[1] === 0x45 && data[2] === 0x4c && data[3] === 0x46;
}

export function parseElf(data: Buffer): ElfFile | undefined {
  if (!isElf(data)) return undefined;
  const is64 = data[4] === 2;
  const littleEndian = data[5] === 1;
  if ((data[4] !== 1 && data[4] !== 2) || (data[5] !== 1 && data[5] !== 2)) return undefined;
  const u16 = (at: number) => (littleEndian ? data.readUInt16LE(at) : data.readUInt16BE(at));
  const u32 = (at: number) => (littleEndian ? data.readUInt32LE(at) : data.readUInt32BE(at));
  const u64 = (at: number) => (littleEndian ? data.readBigUInt64LE(at) : data.readBigUInt64BE(at));
  const word = (at: number) => (is64 ? u64(at) : BigInt(u32(at)));
  const inRange = (at: number, length: number) => at >= 0 && length >= 0 && at + length <= data.length;
  if (!inRange(0, is64 ? 64 : 52)) return undefined;

  const shoff = Number(word(is64 ? 0x28 : 0x20));
  const shentsize = u16(is64 ? 0x3a : 0x2e);
  const shnum = u16(is64 ? 0x3c : 0x30);
  const shstrndx = u16(is64 ? 0x3e : 0x32);
  if (shnum === 0 || shnum > MAX_SECTIONS || shentsize < (is64 ? 64 : 40)) return undefined;
  if (!inRange(shoff, shnum * shentsize)) return undefined;

  const raw: Array<Omit<ElfSection, 'name'> & { nameOffset: number }> = [];
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * shentsize;
    raw.push({
      nameOffset: u32(at),
      type: u32(at + 4),
      addr: word(at + (is64 ? 0x10 : 0x0c)),
      offset: Number(word(at + (is64 ? 0x18 : 0x10))),
      size: Number(word(at + (is64 ? 0x20 : 0x14))),
    });
  }
  const strtab = raw[shstrndx];
  const cString = (table: { offset: number; size: number } | undefined, offset: number): string => {
    if (!table || offset >= table.size || !inRange(table.offset, table.size)) return '';
    const start = table.offset + offset;
    const end = data.indexOf(0, start);
    return data.toString(
      'latin1',
      start,
      end < 0 || end > table.offset + table.size ? table.offset + table.size : end,
    );
  };
  const sections: ElfSection[] = raw.map((s) => ({
    name: cString(strtab, s.nameOffset),
    type: s.type,
    addr: s.addr,
    offset: s.offset,
    size: s.size,
  }));
  const contents = (s: ElfSection): Buffer | undefined =>
    s.type === SHT_NOBITS || !inRange(s.offset, s.size)
      ? undefined
      : data.subarray(s.offset, s.offset + s.size);

  return {
    is64,
    littleEndian,
    sections,
    section(name) {
      const found = sections.find((s) => s.name === name);
      return found ? contents(found) : undefined;
    },
    readAt(addr, length) {
      for (const s of sections) {
        if (s.type === SHT_NOBITS || s.addr === 0n) continue;
        if (addr < s.addr || addr + BigInt(length) > s.addr + BigInt(s.size)) continue;
        const at = s.offset + Number(addr - s.addr);
        return inRange(at, length) ? data.subarray(at, at + length) : undefined;
      }
      return undefined;
    },
    symbols() {
      const symtabIndex = sections.findIndex((s) => s.type === SHT_SYMTAB);
      const symtab = sections[symtabIndex];
      if (!symtab) return [];
      const body = contents(symtab);
      const names = raw[Number(u32(shoff + symtabIndex * shentsize + (is64 ? 0x28 : 0x18)))];
      if (!body || !names) return [];
      const entsize = is64 ? 24 : 16;
      const out: Array<{ name: string; value: bigint; size: number; section: number }> = [];
      for (let at = symtab.offset + entsize; at + entsize <= symtab.offset + body.length; at += entsize) {
        const nameOffset = u32(at);
        const value = is64 ? u64(at + 8) : BigInt(u32(at + 4));
        const size = is64 ? Number(u64(at + 16)) : u32(at + 8);
        const section = is64 ? u16(at + 6) : u16(at + 14);
        out.push({ name: cString(names, nameOffset), value, size, section });
      }
      return out;
    },
  };
}
