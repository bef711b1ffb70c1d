// Reads the dynamic section of an ELF shared object (the addon, libc10): which libraries it needs, its
// soname and run path, and the names of the symbols it imports or exports. Enough to tell, without loading
// anything, which libtorch files a binary links and which C++ string ABI it was compiled with; no readelf
// needed on a user's machine. 64-bit little-endian only (x86-64, aarch64): anything else reads as null.
import { closeSync, openSync, readSync } from 'node:fs';

export interface DynamicSection {
  /** DT_NEEDED: the sonames the dynamic linker must find, in link order. */
  needed: string[];
  soname: string | null;
  /** DT_RUNPATH (or the older DT_RPATH), split on ':'; entries may hold $ORIGIN. */
  runpath: string[];
  /** The dynamic string table: every imported and exported symbol name, NUL-separated. */
  strings: Buffer;
}

const SHT_DYNAMIC = 6;
const DT_NULL = 0n;
const DT_NEEDED = 1n;
const DT_SONAME = 14n;
const DT_RPATH = 15n;
const DT_RUNPATH = 29n;

function readAt(fd: number, offset: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  const read = readSync(fd, buffer, 0, length, offset);
  if (read !== length) throw new Error(`short read at ${offset}`);
  return buffer;
}

/** Reads only the headers and the two sections it needs (libtorch_cpu is ~120 MB; this reads a few hundred KB). */
export function readDynamicSection(path: string): DynamicSection | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const header = readAt(fd, 0, 64);
    const isElf64LittleEndian = header.readUInt32BE(0) === 0x7f454c46 && header[4] === 2 && header[5] === 1;
    if (!isElf64LittleEndian) return null;
    const sectionTableOffset = Number(header.readBigUInt64LE(0x28));
    const sectionEntrySize = header.readUInt16LE(0x3a);
    const sectionCount = header.readUInt16LE(0x3c);
    const sections = readAt(fd, sectionTableOffset, sectionEntrySize * sectionCount);
    const section = (i: number) => {
      const at = i * sectionEntrySize;
      return {
        type: sections.readUInt32LE(at + 4),
        offset: Number(sections.readBigUInt64LE(at + 0x18)),
        size: Number(sections.readBigUInt64LE(at + 0x20)),
        link: sections.readUInt32LE(at + 0x28),
      };
    };
    for (let i = 0; i < sectionCount; i++) {
      const dynamic = section(i);
      if (dynamic.type !== SHT_DYNAMIC) continue;
      const stringTable = section(dynamic.link);
      const strings = readAt(fd, stringTable.offset, stringTable.size);
      const stringAt = (offset: bigint) => {
        const start = Number(offset);
        const end = strings.indexOf(0, start);
        return strings.toString('utf8', start, end < 0 ? strings.length : end);
      };
      const entries = readAt(fd, dynamic.offset, dynamic.size);
      const result: DynamicSection = { needed: [], soname: null, runpath: [], strings };
      let rpath: string[] = [];
      for (let at = 0; at + 16 <= entries.length; at += 16) {
        const tag = entries.readBigInt64LE(at);
        const value = entries.readBigUInt64LE(at + 8);
        if (tag === DT_NULL) break;
        if (tag === DT_NEEDED) result.needed.push(stringAt(value));
        else if (tag === DT_SONAME) result.soname = stringAt(value);
        else if (tag === DT_RUNPATH) result.runpath = stringAt(value).split(':').filter(Boolean);
        else if (tag === DT_RPATH) rpath = stringAt(value).split(':').filter(Boolean);
      }
      // The linker ignores DT_RPATH when DT_RUNPATH is present.
      if (result.runpath.length === 0) result.runpath = rpath;
      return result;
    }
    return null;
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/** The text of a section holding NUL-separated strings, e.g. `.comment` (the compilers that built the object:
 * "GCC: (Debian 12.2.0-14) 12.2.0"); null when the file is not a readable ELF or has no such section. */
export function readSectionStrings(path: string, sectionName: string): string[] | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const header = readAt(fd, 0, 64);
    if (header.readUInt32BE(0) !== 0x7f454c46 || header[4] !== 2 || header[5] !== 1) return null;
    const sectionTableOffset = Number(header.readBigUInt64LE(0x28));
    const sectionEntrySize = header.readUInt16LE(0x3a);
    const sectionCount = header.readUInt16LE(0x3c);
    const namesIndex = header.readUInt16LE(0x3e);
    const sections = readAt(fd, sectionTableOffset, sectionEntrySize * sectionCount);
    const bytesOf = (i: number) =>
      readAt(fd, Number(sections.readBigUInt64LE(i * sectionEntrySize + 0x18)), Number(sections.readBigUInt64LE(i * sectionEntrySize + 0x20)));
    const names = bytesOf(namesIndex);
    for (let i = 0; i < sectionCount; i++) {
      const nameOffset = sections.readUInt32LE(i * sectionEntrySize);
      const end = names.indexOf(0, nameOffset);
      if (names.toString('utf8', nameOffset, end) !== sectionName) continue;
      return bytesOf(i).toString('utf8').split('\0').filter(Boolean);
    }
    return null;
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/**
 * Whether a C++ binary uses libstdc++'s C++11 string ABI (`_GLIBCXX_USE_CXX11_ABI=1`): its std::string
 * appears in mangled names as `std::__cxx11::basic_string`; the old ABI's is `Ss`. libtorch's API passes
 * std::string everywhere (c10::Error, operator names), so both libc10 and the addon name it. Binaries built
 * with different values cannot link: pip's torch wheels before 2.7 and the "pre-cxx11" LibTorch download use 0,
 * Debian's libtorch and the "cxx11 ABI" download use 1. Null when the file is not a readable ELF.
 */
export function usesCxx11Abi(path: string): boolean | null {
  const dynamic = readDynamicSection(path);
  if (!dynamic) return null;
  return dynamic.strings.includes('St7__cxx11');
}
