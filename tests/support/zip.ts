import { crc32, deflateRawSync } from 'node:zlib';

/** One file of a test zip; `deflate` compresses it (a zip bomb is a small deflated run of zeros). */
export interface ZipEntry {
  name: string;
  data: Buffer | string;
  deflate?: boolean;
}

/** A zip archive of `entries`, written by hand so tests can make the malformed ones no zip tool would. */
export function makeZip(entries: ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const data = Buffer.isBuffer(entry.data) ? entry.data : Buffer.from(entry.data);
    const stored = entry.deflate ? deflateRawSync(data) : data;
    const name = Buffer.from(entry.name);
    const header = (signature: number, size: number) => {
      const buffer = Buffer.alloc(size);
      buffer.writeUInt32LE(signature, 0);
      return buffer;
    };
    const local = header(0x04034b50, 30);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // names in UTF-8
    local.writeUInt16LE(entry.deflate ? 8 : 0, 8);
    local.writeUInt32LE(crc32(data), 14);
    local.writeUInt32LE(stored.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = header(0x02014b50, 46);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(entry.deflate ? 8 : 0, 10);
    central.writeUInt32LE(crc32(data), 16);
    central.writeUInt32LE(stored.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, stored);
    centrals.push(central, name);
    offset += local.length + name.length + stored.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** A cmi5.xml of `count` AUs (in two blocks when there are several), each at `url(i)`. */
export function cmi5Xml(
  count: number,
  url: (index: number) => string,
  courseId = 'https://example.com/course/forklift',
): string {
  const au = (index: number) =>
    `<au id="${courseId}/au/${index}" moveOn="${index % 2 ? 'CompletedOrPassed' : 'Passed'}" masteryScore="0.8" launchMethod="OwnWindow">` +
    `<title><langstring lang="en-US">Lesson ${index}</langstring></title>` +
    `<description><langstring lang="en-US">Lesson ${index}</langstring></description>` +
    `<url>${url(index)}</url><launchParameters>{"level":${index}}</launchParameters></au>`;
  const half = Math.ceil(count / 2);
  const block = (title: string, from: number, to: number) =>
    `<block id="${courseId}/block/${title}"><title><langstring lang="en-US">${title}</langstring></title>` +
    `<description><langstring lang="en-US">${title}</langstring></description>` +
    Array.from({ length: to - from }, (_, i) => au(from + i)).join('') +
    '</block>';
  return (
    '<?xml version="1.0" encoding="utf-8"?>\n' +
    '<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd">' +
    `<course id="${courseId}"><title><langstring lang="en-US">Forklift</langstring></title>` +
    '<description><langstring lang="en-US">Forklift</langstring></description></course>' +
    (count === 1 ? au(0) : block('Basics', 0, half) + block('Practice', half, count)) +
    '</courseStructure>'
  );
}
