import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestContext, runAsCaller, type AppServices, type Caller } from '../core/caller/index.js';
import { ApiError, errorResponse, forbidden, methodNotAllowed, notFound, unauthenticated } from '../core/errors.js';
import { json, type Route } from '../core/http.js';
import type { RequestLog } from '../core/logger.js';
import { may } from '../core/permissions.js';
import { isUuid } from '../core/validate.js';
import { serveFile } from './serve.js';
import { verifyGrant } from './settings.js';
import { filePath, packageFolder, removeFile } from './storage.js';
import { receiveUpload } from './upload.js';

/** The API path of an uploaded file (a bearer token opens it; signed URLs add `/t/<grant>`). */
export const contentPath = (contentId: string) => `/content/${contentId}`;

/**
 * `POST /content` uploads a file (multipart, field `file`; admins and safety officers), answered 201 with
 * `{ id, url, contentType, size }`. `GET /content/<id>` serves it to the tenant's users with a bearer token, and
 * `GET /content/<id>/t/<grant>[/<path in the package>]` to whoever holds a signed URL (a `<video src>` sends no
 * header; a launched AU's relative links keep the grant in their path). Another tenant's id is a 404, as is a
 * grant that is forged, expired or made for another file.
 */
export function contentRoutes(services: AppServices): Route[] {
  return [
    {
      path: '/content',
      handle: async (req, res, _url, log) => {
        if (req.method !== 'POST') return refuseMethod(res, 'POST');
        const caller = await callerOf(req, res, services, log);
        if (!caller) return;
        if (!may(caller.role, 'content.manage')) return send(res, forbidden(), 403);
        await upload(req, res, services, caller);
      },
    },
    {
      path: '/content/',
      handle: async (req, res, url, log) => {
        if (req.method !== 'GET' && req.method !== 'HEAD') return refuseMethod(res, 'GET, HEAD');
        const match = /^\/content\/([^/]+)(?:\/t\/([^/]+)(\/.*)?)?$/.exec(url.pathname);
        const contentId = match?.[1] ?? '';
        if (!match || !isUuid(contentId)) return send(res, notFound('Content'), 404);
        let caller: Caller | undefined;
        if (match[2] !== undefined) {
          const grant = verifyGrant(services.config, contentId, match[2]);
          if (!grant) return send(res, notFound('Content'), 404);
          caller = { tenantId: grant.tenantId, userId: grant.userId, role: 'worker' };
        } else {
          caller = await callerOf(req, res, services, log);
          if (!caller) return;
        }
        const row = await runAsCaller(services.prisma, caller, (tx) =>
          tx.contentFile.findFirst({
            where: { id: contentId, tenantId: caller.tenantId },
            select: { contentType: true },
          }),
        );
        if (!row) return send(res, notFound('Content'), 404);
        const entry = match[3];
        if (entry === undefined || entry === '/') {
          return serveFile(req, res, filePath(services.config, caller.tenantId, contentId), row.contentType);
        }
        if (row.contentType !== 'application/zip') return send(res, notFound('Content'), 404);
        await serveFile(req, res, packageFolder(services.config, caller.tenantId, contentId), null, entry);
      },
    },
  ];
}

async function upload(req: IncomingMessage, res: ServerResponse, services: AppServices, caller: Caller) {
  const { config, prisma } = services;
  const received = await receiveUpload(req, config, caller.tenantId);
  if ('refused' in received) {
    if (received.tooLargeToRead) res.setHeader('connection', 'close');
    return send(res, received.refused);
  }
  try {
    await runAsCaller(prisma, caller, async (tx) => {
      await tx.contentFile.create({
        data: {
          id: received.id,
          tenantId: caller.tenantId,
          contentType: received.contentType,
          size: received.size,
          fileName: received.fileName,
          createdBy: caller.userId,
        },
        select: { id: true },
      });
      // In place before the row commits: a row never names a missing file, and a failed commit removes it below.
      await received.keep();
    });
  } catch (error) {
    await received.discard();
    await removeFile(config, caller.tenantId, received.id);
    throw error;
  }
  json(res, 201, {
    id: received.id,
    url: config.publicUrl + contentPath(received.id),
    contentType: received.contentType,
    size: received.size,
  });
}

/** The caller of a bearer token (its profile recorded), or undefined once the refusal has been answered. */
async function callerOf(
  req: IncomingMessage,
  res: ServerResponse,
  services: AppServices,
  log: RequestLog,
): Promise<Caller | undefined> {
  try {
    const context = await requestContext(services, req.headers.authorization, log);
    if (context.caller) return context.caller;
    send(res, unauthenticated(), 401);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    send(res, error);
  }
  return undefined;
}

function send(res: ServerResponse, error: ApiError, status?: number): void {
  const answer = errorResponse(error);
  json(res, status ?? answer.status, answer.body);
}

function refuseMethod(res: ServerResponse, allow: string): void {
  res.setHeader('allow', allow);
  send(res, methodNotAllowed(allow));
}
