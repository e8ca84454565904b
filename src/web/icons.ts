// The app's icons, drawn at build time (no binary in the repository): a white first-aid cross on the app's
// accent blue, the cross inside the central 60 % so the maskable icon survives any launcher's mask.
import { crc32, deflateSync } from 'node:zlib';

const ACCENT = [0x1f, 0x5f, 0xa8];
const WHITE = [0xff, 0xff, 0xff];

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A `size`×`size` RGB PNG of the icon. */
export function iconPng(size: number): Buffer {
  const arm = size * 0.12; // half the cross's bar width
  const reach = size * 0.3; // half the cross's length
  const centre = size / 2;
  const rows: Buffer[] = [];
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 3); // filter byte 0, then RGB
    for (let x = 0; x < size; x++) {
      const dx = Math.abs(x + 0.5 - centre);
      const dy = Math.abs(y + 0.5 - centre);
      const cross = (dx <= arm && dy <= reach) || (dy <= arm && dx <= reach);
      Buffer.from(cross ? WHITE : ACCENT).copy(row, 1 + x * 3);
    }
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit depth, truecolour, deflate, no filter, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows), { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

export const ICON_SIZES = [192, 512] as const;
