// Edits to a real ELF addon that make dlopen refuse it the way a user's machine would: a binary
// for another CPU, and a binary that needs a newer glibc than this one (the GLIBC_2.x version it
// needs renamed to GLIBC_2.99, with the name's hash in .gnu.version_r updated so that the dynamic
// loader looks the version up and does not find it).

const SHT_GNU_VERNEED = 0x6ffffffe;

/** The System V ELF hash, as stored in vna_hash. */
function elfHash(name: string): number {
  let h = 0;
  for (const c of Buffer.from(name)) {
    h = ((h << 4) + c) >>> 0;
    const g = h & 0xf0000000;
    if (g) h ^= g >>> 24;
    h = (h & ~g) >>> 0;
  }
  return h;
}

function cString(buf: Buffer, at: number): string {
  return buf.toString("latin1", at, buf.indexOf(0, at));
}

/** A copy of `elf` whose e_machine says `machine` (62 x86-64, 183 AArch64). */
export function withMachine(elf: Buffer, machine: number): Buffer {
  const copy = Buffer.from(elf);
  copy.writeUInt16LE(machine, 18);
  return copy;
}

/** A copy of `elf` that needs glibc 2.99: returns it and the version it needed before. */
export function needingGlibc299(elf: Buffer): { patched: Buffer; replaced: string } {
  const copy = Buffer.from(elf);
  const shoff = Number(copy.readBigUInt64LE(40));
  const shentsize = copy.readUInt16LE(58);
  const shnum = copy.readUInt16LE(60);
  const section = (i: number) => {
    const at = shoff + i * shentsize;
    return {
      type: copy.readUInt32LE(at + 4),
      offset: Number(copy.readBigUInt64LE(at + 24)),
      link: copy.readUInt32LE(at + 40),
      info: copy.readUInt32LE(at + 44),
    };
  };
  for (let i = 0; i < shnum; i++) {
    const verneed = section(i);
    if (verneed.type !== SHT_GNU_VERNEED) continue;
    const dynstr = section(verneed.link).offset;
    // Every auxiliary entry naming a GLIBC_2.NN version, the newest one is renamed.
    const aux: { at: number; name: string }[] = [];
    let need = verneed.offset;
    for (let n = 0; n < verneed.info; n++) {
      let a = need + copy.readUInt32LE(need + 8);
      for (let k = 0; k < copy.readUInt16LE(need + 2); k++) {
        aux.push({ at: a, name: cString(copy, dynstr + copy.readUInt32LE(a + 8)) });
        a += copy.readUInt32LE(a + 12);
      }
      need += copy.readUInt32LE(need + 12);
    }
    const candidates = aux.filter((e) => /^GLIBC_2\.\d\d$/.test(e.name)).sort((x, y) => y.name.localeCompare(x.name));
    if (candidates.length === 0) throw new Error("no GLIBC_2.NN version needed");
    const replaced = candidates[0].name;
    for (const e of aux.filter((x) => x.name === replaced)) {
      copy.write("GLIBC_2.99", dynstr + copy.readUInt32LE(e.at + 8), "latin1");
      copy.writeUInt32LE(elfHash("GLIBC_2.99"), e.at);
    }
    return { patched: copy, replaced };
  }
  throw new Error("no .gnu.version_r section");
}
