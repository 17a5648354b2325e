"use strict";
// A look at a Linux addon before dlopen gets it: dlopen maps a truncated file (an interrupted
// download or copy) and the process dies of SIGBUS when it touches the missing pages, which no
// JavaScript can catch; and for a file built for another CPU it says only "No such file or
// directory". Both become a sentence here instead. Only 64-bit little-endian ELF is read: the
// Linux platforms that ship binaries (x64, arm64).
const fs = require("node:fs");

const MACHINES = { 62: "x64", 183: "arm64" };
const PT_LOAD = 1;

/** What is wrong with `file` as an ELF shared object for `arch`, or null when nothing is seen. */
function elfProblem(file, arch) {
  let fd;
  try {
    fd = fs.openSync(file, "r");
  } catch {
    return null; // dlopen reports it
  }
  try {
    const size = fs.fstatSync(fd).size;
    const read = (offset, length) => {
      const buf = Buffer.alloc(length);
      const n = fs.readSync(fd, buf, 0, length, offset);
      return n === length ? buf : null;
    };
    const header = read(0, 64);
    if (!header || header.readUInt32BE(0) !== 0x7f454c46) return `not an ELF file (${size} bytes)`;
    if (header[4] !== 2 || header[5] !== 1) return "not a 64-bit little-endian ELF file";
    const machine = MACHINES[header.readUInt16LE(18)] ?? `machine ${header.readUInt16LE(18)}`;
    if (machine !== arch) return `built for ${machine}, and this Node.js is ${arch}`;

    const phoff = Number(header.readBigUInt64LE(32));
    const shoff = Number(header.readBigUInt64LE(40));
    const phentsize = header.readUInt16LE(54);
    const phnum = header.readUInt16LE(56);
    const shentsize = header.readUInt16LE(58);
    const shnum = header.readUInt16LE(60);
    let needed = Math.max(phoff + phentsize * phnum, shnum ? shoff + shentsize * shnum : 0);
    const table = read(phoff, phentsize * phnum);
    if (table) {
      for (let i = 0; i < phnum; i++) {
        const at = i * phentsize;
        if (table.readUInt32LE(at) !== PT_LOAD) continue;
        const end = Number(table.readBigUInt64LE(at + 8)) + Number(table.readBigUInt64LE(at + 32));
        needed = Math.max(needed, end);
      }
    }
    if (size < needed) return `truncated: ${size} bytes where its headers describe ${needed}`;
    return null;
  } finally {
    fs.closeSync(fd);
  }
}

module.exports = { elfProblem };
