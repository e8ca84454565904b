import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { Cmi5Error } from './cmi5-xml.js';

/** The most entries one package may hold, and the largest its cmi5.xml may be. */
const MAX_ENTRIES = 20_000;
const MAX_XML_BYTES = 20 * 1024 * 1024;

/** An open package whose every entry was checked: names inside its folder, sizes within the limit. */
export interface CheckedZip {
  /** The text of its cmi5.xml (at the package's root), or null when it has none. */
  cmi5Xml: string | null;
  /** The names of its files. */
  names: ReadonlySet<string>;
  /** Writes every file into `folder` (created; removed again if writing fails). */
  extractTo(folder: string): Promise<void>;
  close(): void;
}

const open = (file: string) =>
  new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(file, { lazyEntries: true, autoClose: false, strictFileNames: true }, (error, zip) =>
      error ? reject(error) : resolve(zip),
    ),
  );

const readStream = (zip: yauzl.ZipFile, entry: yauzl.Entry) =>
  new Promise<Readable>((resolve, reject) =>
    zip.openReadStream(entry, (error, stream) => (error ? reject(error) : resolve(stream))),
  );

/** Every entry of the central directory, refusing one whose name would leave the package's folder. */
function entries(zip: yauzl.ZipFile): Promise<yauzl.Entry[]> {
  return new Promise((resolve, reject) => {
    const all: yauzl.Entry[] = [];
    zip.on('entry', (entry: yauzl.Entry) => {
      if (all.length >= MAX_ENTRIES) return reject(new Cmi5Error(`the zip holds more than ${MAX_ENTRIES} entries`));
      all.push(entry);
      zip.readEntry();
    });
    zip.on('end', () => resolve(all));
    zip.on('error', (error: Error) => reject(refusal(error)));
    zip.readEntry();
  });
}

/** yauzl's refusals of a name, in our words (it checks before any byte is read). */
function refusal(error: Error): Error {
  if (/invalid relative path|absolute path|invalid characters in fileName/.test(error.message)) {
    return new Cmi5Error(`a zip entry escapes its folder (${error.message})`);
  }
  return new Cmi5Error(`not a readable zip (${error.message})`);
}

/** POSIX mode of an entry made on Unix; a symbolic link could point anywhere once extracted. */
const isSymlink = (entry: yauzl.Entry) => ((entry.externalFileAttributes >>> 16) & 0o170000) === 0o120000;

/**
 * Opens a package and checks it before anything is written: every entry's name stays inside the package (no
 * `..`, no absolute path, no link), and the sizes it declares add up to at most `maxBytes` (each entry is then held
 * to its declared size while extracting, so a zip bomb cannot write more).
 */
export async function checkZip(file: string, maxBytes: number): Promise<CheckedZip> {
  let zip: yauzl.ZipFile;
  try {
    zip = await open(file);
  } catch (error) {
    throw refusal(error as Error);
  }
  try {
    const all = await entries(zip);
    let total = 0;
    for (const entry of all) {
      if (isSymlink(entry)) throw new Cmi5Error(`a zip entry escapes its folder (${entry.fileName} is a link)`);
      total += entry.uncompressedSize;
      if (total > maxBytes) throw new Cmi5Error(`the zip expands past the limit of ${maxBytes} bytes`);
    }
    const xmlEntry = all.find((entry) => entry.fileName === 'cmi5.xml');
    let cmi5Xml: string | null = null;
    if (xmlEntry) {
      if (xmlEntry.uncompressedSize > MAX_XML_BYTES) throw new Cmi5Error('cmi5.xml is larger than 20 MB');
      const chunks: Buffer[] = [];
      for await (const chunk of await readStream(zip, xmlEntry)) chunks.push(chunk as Buffer);
      cmi5Xml = Buffer.concat(chunks).toString('utf8');
    }
    return {
      cmi5Xml,
      names: new Set(all.map((entry) => entry.fileName)),
      async extractTo(folder) {
        try {
          for (const entry of all) {
            const target = path.join(folder, entry.fileName);
            if (entry.fileName.endsWith('/')) {
              await mkdir(target, { recursive: true });
              continue;
            }
            await mkdir(path.dirname(target), { recursive: true });
            await pipeline(await readStream(zip, entry), createWriteStream(target, { flags: 'wx' }));
          }
        } catch (error) {
          await rm(folder, { recursive: true, force: true });
          throw error;
        }
      },
      close: () => zip.close(),
    };
  } catch (error) {
    zip.close();
    throw error;
  }
}
