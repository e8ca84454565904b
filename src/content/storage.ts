import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../core/config.js';
import { contentSettings } from './settings.js';

/**
 * Where a file's bytes live: `<CONTENT_DIR>/<tenant>/<id>` (a cmi5 package's files, once imported, under
 * `<id>.d/`). Names are ids the server made, never a name a client sent.
 */
export const tenantFolder = (config: Config, tenantId: string) =>
  path.join(contentSettings.of(config).directory, tenantId);
export const filePath = (config: Config, tenantId: string, contentId: string) =>
  path.join(tenantFolder(config, tenantId), contentId);
export const packageFolder = (config: Config, tenantId: string, contentId: string) =>
  `${filePath(config, tenantId, contentId)}.d`;

/** A file being written: its temporary path until `keep` renames it into place. */
export async function openUpload(config: Config, tenantId: string, contentId: string) {
  await mkdir(tenantFolder(config, tenantId), { recursive: true });
  const final = filePath(config, tenantId, contentId);
  const temporary = `${final}.part`;
  return {
    stream: createWriteStream(temporary, { flags: 'wx' }),
    keep: () => rename(temporary, final),
    discard: () => rm(temporary, { force: true }),
  };
}

export const removeFile = (config: Config, tenantId: string, contentId: string) =>
  rm(filePath(config, tenantId, contentId), { force: true });

export async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}
