/**
 * rpm's NDB backend file Packages.db (rpm's lib/backend/ndb/rpmpkg.c), little-endian:
 * a 32-byte header {'RpmP', version 0, generation, slot page count, 16 reserved bytes} followed by slot pages
 * of 4 KiB, whose 16-byte slots are {'Slot', package index (0 = free), block offset, block count}; the header
 * takes the first two slots' room. A used slot points (in 16-byte blocks) at {'BlbS', package index, checksum,
 * blob length} followed by the header blob.
 */
const HEADER_MAGIC = 0x506d7052; // 'RpmP'
const SLOT_MAGIC = 0x746f6c53; // 'Slot'
const BLOB_MAGIC = 0x53626c42; // 'BlbS'
const BLOCK = 16;
const SLOTS_PER_PAGE = 4096 / BLOCK;
const MAX_SLOT_PAGES = 2048;

export class NdbError extends Error {
  constructor(message: string) {
    super(`rpm ndb: ${message}`);
    this.name = 'NdbError';
  }
}

export function isNdbDatabase(content: Buffer): boolean {
  return content.length >= 32 && content.readUInt32LE(0) === HEADER_MAGIC && content.readUInt32LE(4) === 0;
}

export function readNdbHeaderBlobs(content: Buffer): Buffer[] {
  const slotPages = content.readUInt32LE(12);
  if (slotPages === 0) throw new NdbError('no slot pages');
  if (slotPages > MAX_SLOT_PAGES) throw new NdbError(`slot page count ${slotPages} is over the limit`);
  const slotCount = slotPages * SLOTS_PER_PAGE - 2;
  if (32 + slotCount * BLOCK > content.length) throw new NdbError('slot pages run past the end of the file');
  const blobs: Buffer[] = [];
  for (let i = 0; i < slotCount; i++) {
    const at = 32 + i * BLOCK;
    if (content.readUInt32LE(at) !== SLOT_MAGIC) throw new NdbError(`slot ${i} has a bad magic`);
    const pkgIndex = content.readUInt32LE(at + 4);
    if (pkgIndex === 0) continue;
    const blobAt = content.readUInt32LE(at + 8) * BLOCK;
    if (blobAt + BLOCK > content.length)
      throw new NdbError(`package ${pkgIndex} points past the end of the file`);
    if (content.readUInt32LE(blobAt) !== BLOB_MAGIC)
      throw new NdbError(`package ${pkgIndex} has a bad blob magic`);
    if (content.readUInt32LE(blobAt + 4) !== pkgIndex)
      throw new NdbError(`package ${pkgIndex}'s blob is another's`);
    const length = content.readUInt32LE(blobAt + 12);
    if (blobAt + BLOCK + length > content.length)
      throw new NdbError(`package ${pkgIndex}'s blob is truncated`);
    blobs.push(content.subarray(blobAt + BLOCK, blobAt + BLOCK + length));
  }
  return blobs;
}
