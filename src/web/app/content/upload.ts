import { i18n } from '../i18n';
import { storedSession } from '../session';
import { errorText, type ApiErrorLike } from '../errors/translate';

/** What `POST /content` answers: the stored file. */
export interface Uploaded {
  id: string;
  url: string;
  contentType: string;
  size: number;
}

/**
 * Uploads a file to `POST /content` with the session's token, reporting the share sent (0–1); rejects with the
 * server's own message (too large, a type it does not take…). XMLHttpRequest, because fetch reports no upload
 * progress.
 */
export function uploadContent(file: File, onProgress: (share: number) => void): Promise<Uploaded> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('POST', '/content');
    const token = storedSession()?.token;
    if (token) request.setRequestHeader('authorization', `Bearer ${token}`);
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    request.onerror = () => reject(new Error(i18n.t('content.uploadUnreachable')));
    request.onload = () => {
      let body: { id?: string; errors?: ApiErrorLike[] } = {};
      try {
        body = JSON.parse(request.responseText) as typeof body;
      } catch {
        // Not JSON (a proxy's page): the status says what happened.
      }
      if (request.status === 201 && body.id) return resolve(body as Uploaded);
      const message =
        body.errors?.map((e) => errorText(e)).join(' ') || i18n.t('content.statusCode', { status: request.status });
      reject(new Error(i18n.t('content.uploadRefused', { message })));
    };
    const form = new FormData();
    form.append('file', file);
    request.send(form);
  });
}
