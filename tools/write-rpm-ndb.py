#!/usr/bin/env python3
"""Writes an rpm NDB package database (Packages.db) from the header blobs of an rpmdb.sqlite.

Debian's rpm is built without the ndb backend, so Vigil's test data gets its NDB file from this writer, which
lays the file out as rpm's lib/backend/ndb/rpmpkg.c does: a 32-byte header ('RpmP', version 0, generation,
slot page count) sharing the first 4 KiB slot page with the slot entries ('Slot', package index, block offset,
block count; 16 bytes each), then one 16-byte-aligned block per package: a blob header ('BlbS', package index,
Adler-32 checksum, blob length), the header blob, and a 12-byte trailer (checksum, length, 'BlbE').
Usage: write-rpm-ndb.py rpmdb.sqlite Packages.db
"""
import sqlite3
import struct
import sys
import zlib

BLOCK = 16
PAGE = 4096


def main(src: str, dst: str) -> None:
    rows = sqlite3.connect(src).execute("SELECT hnum, blob FROM Packages ORDER BY hnum").fetchall()
    slot_pages = 1
    while slot_pages * (PAGE // BLOCK) - 2 < len(rows):
        slot_pages += 1
    slots = []
    blobs = bytearray()
    next_block = slot_pages * PAGE // BLOCK
    for hnum, blob in rows:
        blob = bytes(blob)
        checksum = zlib.adler32(blob) & 0xFFFFFFFF
        record = struct.pack("<4sIII", b"BlbS", hnum, checksum, len(blob)) + blob
        record += struct.pack("<II4s", checksum, len(blob), b"BlbE")
        record += b"\0" * (-len(record) % BLOCK)
        count = len(record) // BLOCK
        slots.append(struct.pack("<4sIII", b"Slot", hnum, next_block, count))
        blobs += record
        next_block += count
    free_slots = slot_pages * (PAGE // BLOCK) - 2 - len(slots)
    slots += [struct.pack("<4sIII", b"Slot", 0, 0, 0)] * free_slots
    header = struct.pack("<4sIII16x", b"RpmP", 0, 1, slot_pages)
    with open(dst, "wb") as out:
        out.write(header + b"".join(slots) + bytes(blobs))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
