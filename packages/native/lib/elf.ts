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

interface Section {
  /** Offset of its name in the section-name string table. */
  name: number;
  type: number;
  offset: number;
  size: number;
  link: number;
}

/** An open 64-bit little-endian ELF file: its section headers, and a reader for any section's bytes. */
interface ElfFile {
  sections: Section[];
  /** Index of the section holding the section names. */
  namesIndex: number;
  bytesOf(section: Section): Buffer;
}

/** Opens `path`, reads the ELF header and the section table (a few KB, however large the file), and calls
 * `use`; null when the file cannot be opened, is not a 64-bit little-endian ELF, or is truncated. */
function withElf<T>(path: string, use: (elf: ElfFile) => T | null): T | null {
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
    const tableOffset = Number(header.readBigUInt64LE(0x28));
    const entrySize = header.readUInt16LE(0x3a);
    const count = header.readUInt16LE(0x3c);
    const table = readAt(fd, tableOffset, entrySize * count);
    const sections = Array.from({ length: count }, (_, i) => {
      const at = i * entrySize;
      return {
        name: table.readUInt32LE(at),
        type: table.readUInt32LE(at + 4),
        offset: Number(table.readBigUInt64LE(at + 0x18)),
        size: Number(table.readBigUInt64LE(at + 0x20)),
        link: table.readUInt32LE(at + 0x28),
      };
    });
    return use({ sections, namesIndex: header.readUInt16LE(0x3e), bytesOf: (section) => readAt(fd, section.offset, section.size) });
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/** The NUL-terminated string at `offset` of a string table. */
function stringAt(table: Buffer, offset: number): string {
  const end = table.indexOf(0, offset);
  return table.toString('utf8', offset, end < 0 ? table.length : end);
}

/** Reads only the headers and the two sections it needs (libtorch_cpu is ~120 MB; this reads a few hundred KB). */
export function readDynamicSection(path: string): DynamicSection | null {
  return withElf(path, (elf) => {
    const dynamic = elf.sections.find((section) => section.type === SHT_DYNAMIC);
    if (!dynamic) return null;
    const strings = elf.bytesOf(elf.sections[dynamic.link]!);
    const entries = elf.bytesOf(dynamic);
    const result: DynamicSection = { needed: [], soname: null, runpath: [], strings };
    let rpath: string[] = [];
    for (let at = 0; at + 16 <= entries.length; at += 16) {
      const tag = entries.readBigInt64LE(at);
      const value = Number(entries.readBigUInt64LE(at + 8));
      if (tag === DT_NULL) break;
      if (tag === DT_NEEDED) result.needed.push(stringAt(strings, value));
      else if (tag === DT_SONAME) result.soname = stringAt(strings, value);
      else if (tag === DT_RUNPATH) result.runpath = stringAt(strings, value).split(':').filter(Boolean);
      else if (tag === DT_RPATH) rpath = stringAt(strings, value).split(':').filter(Boolean);
    }
    // The linker ignores DT_RPATH when DT_RUNPATH is present.
    if (result.runpath.length === 0) result.runpath = rpath;
    return result;
  });
}

/** The text of a section holding NUL-separated strings, e.g. `.comment` (the compilers that built the object:
 * "GCC: (Debian 12.2.0-14) 12.2.0"); null when the file is not a readable ELF or has no such section. */
export function readSectionStrings(path: string, sectionName: string): string[] | null {
  return withElf(path, (elf) => {
    const names = elf.bytesOf(elf.sections[elf.namesIndex]!);
    const section = elf.sections.find((s) => stringAt(names, s.name) === sectionName);
    return section ? elf.bytesOf(section).toString('utf8').split('\0').filter(Boolean) : null;
  });
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
