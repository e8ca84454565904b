import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { createInflateRaw } from 'node:zlib';

const ROW = Buffer.from('<row ');
const END_OF_DIRECTORY = Buffer.from([0x50, 0x4b, 0x05, 0x06]);

/** Occurrences of `<row ` in a stream, also across the chunks' seams. */
async function countRowTags(stream: Readable): Promise<number> {
  let count = 0;
  let carry = Buffer.alloc(0);
  for await (const chunk of stream) {
    const text = Buffer.concat([carry, chunk as Buffer]);
    for (let at = text.indexOf(ROW); at !== -1; at = text.indexOf(ROW, at + ROW.length)) count++;
    carry = text.subarray(Math.max(0, text.length - (ROW.length - 1)));
  }
  return count;
}

/**
 * The rows of an .xlsx file's first worksheet, read from its zip (central directory, then the worksheet's
 * deflated entry, inflated as a stream and never held whole: a million rows are about a gigabyte of XML).
 */
export async function xlsxRows(path: string): Promise<number> {
  const file = await open(path);
  try {
    const { size } = await file.stat();
    const tail = Buffer.alloc(Math.min(size, 22 + 0xffff));
    await file.read(tail, 0, tail.length, size - tail.length);
    const end = tail.lastIndexOf(END_OF_DIRECTORY);
    if (end === -1) throw new Error(`${path} is not a zip file`);
    const directory = Buffer.alloc(tail.readUInt32LE(end + 12));
    await file.read(directory, 0, directory.length, tail.readUInt32LE(end + 16));
    for (let at = 0, entry = 0; entry < tail.readUInt16LE(end + 10); entry++) {
      const nameLength = directory.readUInt16LE(at + 28);
      const name = directory.toString('utf8', at + 46, at + 46 + nameLength);
      if (name === 'xl/worksheets/sheet1.xml') {
        const compressed = directory.readUInt32LE(at + 20);
        const local = directory.readUInt32LE(at + 42);
        if (compressed === 0xffffffff || local === 0xffffffff) throw new Error(`${path}: a ZIP64 entry, not read here`);
        const header = Buffer.alloc(30);
        await file.read(header, 0, 30, local);
        const start = local + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
        const deflated = file.createReadStream({ start, end: start + compressed - 1, autoClose: false });
        return await countRowTags(deflated.pipe(createInflateRaw()));
      }
      at += 46 + nameLength + directory.readUInt16LE(at + 30) + directory.readUInt16LE(at + 32);
    }
    throw new Error(`${path} has no worksheet`);
  } finally {
    await file.close();
  }
}
