import { type BoltError, badInput } from './errors.js';
import type { BoltKey } from './reader.js';
import type { BoltBucketSource, BoltWriteEntry } from './writer.js';

/**
 * A bucket built in memory for the writer, with bbolt's put / create-bucket-if-not-exists semantics:
 * putting a value over a bucket, or opening a bucket over a value, is an error (bbolt's
 * ErrIncompatibleValue); putting over a value replaces it.
 */
export interface MemoryBucket extends BoltBucketSource {
  put(key: BoltKey, value: BoltKey): MemoryBucket;
  /** The nested bucket under key, created when missing. */
  bucket(key: BoltKey): MemoryBucket;
  sequence: bigint;
  readonly size: number;
}

type Slot =
  | { key: Buffer; value: Buffer; bucket?: undefined }
  | { key: Buffer; value?: undefined; bucket: MemoryBucket };

function bytes(key: BoltKey): Buffer {
  return typeof key === 'string' ? Buffer.from(key, 'utf8') : Buffer.from(key);
}

/** `describe` names the database being built, for error messages. */
export function createMemoryBucket(describe = 'in-memory bbolt tree'): MemoryBucket {
  // Keyed by the latin1 rendering, which maps bytes to strings one-to-one.
  const slots = new Map<string, Slot>();
  const incompatible = (key: Buffer, what: string): BoltError =>
    badInput(describe, `key 0x${key.toString('hex')} (${JSON.stringify(key.toString('utf8'))}) ${what}`);

  const self: MemoryBucket = {
    sequence: 0n,
    get size() {
      return slots.size;
    },
    put(key, value) {
      const k = bytes(key);
      const id = k.toString('latin1');
      if (slots.get(id)?.bucket !== undefined) throw incompatible(k, 'is a bucket and cannot take a value');
      slots.set(id, { key: k, value: bytes(value) });
      return self;
    },
    bucket(key) {
      const k = bytes(key);
      const id = k.toString('latin1');
      const slot = slots.get(id);
      if (slot?.bucket !== undefined) return slot.bucket;
      if (slot !== undefined) throw incompatible(k, 'holds a value and cannot become a bucket');
      const child = createMemoryBucket(describe);
      slots.set(id, { key: k, bucket: child });
      return child;
    },
    *entries(): Iterable<BoltWriteEntry> {
      const sorted = [...slots.values()].sort((a, b) => Buffer.compare(a.key, b.key));
      for (const slot of sorted) {
        yield slot.bucket === undefined
          ? { key: slot.key, value: slot.value }
          : { key: slot.key, bucket: slot.bucket };
      }
    },
  };
  return self;
}
