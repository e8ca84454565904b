import type { Actor, TestServer } from './server.js';

/** The first bytes of an MP4 (an ISO base media `ftyp` box), then `size` bytes in all: what a sniffer sees. */
export function mp4Bytes(size: number): Buffer {
  const bytes = Buffer.alloc(size);
  Buffer.from('000000186674797069736f6d0000020069736f6d69736f32', 'hex').copy(bytes);
  for (let i = 24; i < size; i++) bytes[i] = i % 251;
  return bytes;
}

export interface UploadAnswer {
  status: number;
  body: { id?: string; url?: string; contentType?: string; size?: number; errors?: { extensions: { code: string } }[] };
}

/** `POST /content` as a browser's form would send it: multipart, the file in the field `file`. */
export async function upload(server: TestServer, actor: Actor | null, bytes: Buffer | string, name = 'file.bin') {
  const form = new FormData();
  form.append('file', new Blob([bytes]), name);
  const headers: Record<string, string> = actor ? { authorization: `Bearer ${actor.token}` } : {};
  const response = await fetch(new URL('/content', server.url), { method: 'POST', headers, body: form });
  return { status: response.status, body: (await response.json()) as UploadAnswer['body'] };
}
