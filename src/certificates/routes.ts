import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppServices } from '../core/caller/index.js';
import { errorResponse, tooManyRequests } from '../core/errors.js';
import { clientAddress, json, type Route } from '../core/http.js';
import { certificateVerifyPath } from '../completions/certificate-code.js';
import { PAGE_HEADERS, sha256Source } from '../core/security-headers.js';
import { lookupCertificate, type PublicCertificate } from './certificates-sql.js';
import { negotiateLocale } from '../core/i18n/index.js';
import { DEFAULT_ORGANISATION_NAME, logoPath } from '../tenants/branding.js';
import { evidenceSummary } from './evidence-text.js';
import { certificateText, day, t, type CertificateText } from './text.js';
import { certificatePdf } from './pdf.js';
import { lookupLimiter } from './settings.js';

/**
 * The public certificate pages, no token needed (the code is the capability):
 * `GET /certificates/<code>.pdf` (the PDF) and `GET /verify/<code>` (HTML, or JSON when asked
 * with `Accept: application/json`). Unknown and malformed codes get the same 404; every request
 * counts toward the client address's lookup limit (429 with Retry-After past it).
 */
export function certificateRoutes(services: AppServices): Route[] {
  const { config } = services;
  /** Counts the lookup; false when the address is over its limit (answered with 429). */
  const allowed = (req: IncomingMessage, res: ServerResponse): boolean => {
    const retryAfter = lookupLimiter(services).take(clientAddress(req, config.trustProxy));
    if (retryAfter === 0) return true;
    const { status, body } = errorResponse(tooManyRequests(retryAfter));
    res.setHeader('retry-after', String(retryAfter));
    json(res, status, body);
    return false;
  };
  const onlyGet = (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.method === 'GET' || req.method === 'HEAD') return true;
    res.setHeader('allow', 'GET, HEAD');
    json(res, 405, { error: 'Use GET' });
    return false;
  };
  return [
    {
      path: '/certificates/',
      handle: async (req, res, url) => {
        if (!onlyGet(req, res) || !allowed(req, res)) return;
        const match = /^\/certificates\/([^/]+)\.pdf$/.exec(url.pathname);
        const code = match?.[1] ?? '';
        const certificate = match ? await lookupCertificate(services.prisma, code) : null;
        if (!certificate) return notFound(res, false, certificateText(null));
        // services.config, not config: the app fills in the bound port after listening.
        const pdf = await certificatePdf(certificate, code, services.config.publicUrl + certificateVerifyPath(code));
        res.writeHead(200, {
          ...PRIVATE_HEADERS,
          'content-type': 'application/pdf',
          'content-length': String(pdf.length),
          'content-disposition': `inline; filename="certificate-${code}.pdf"`,
        });
        res.end(req.method === 'HEAD' ? undefined : pdf);
      },
    },
    {
      path: '/verify/',
      handle: async (req, res, url) => {
        if (!onlyGet(req, res) || !allowed(req, res)) return;
        const wantsJson = (req.headers.accept ?? '').includes('application/json');
        const text = certificateText(negotiateLocale(req.headers['accept-language']));
        const match = /^\/verify\/([^/]+)$/.exec(url.pathname);
        const certificate = match ? await lookupCertificate(services.prisma, match[1]!) : null;
        if (!certificate) return notFound(res, wantsJson, text);
        if (wantsJson) {
          res.writeHead(200, { ...PRIVATE_HEADERS, 'content-type': 'application/json; charset=utf-8' });
          return void res.end(JSON.stringify(verification(certificate)));
        }
        res.writeHead(200, { ...PRIVATE_HEADERS, ...htmlHeaders(text.locale) });
        res.end(verifyPage(certificate, text));
      },
    },
  ];
}

/** The code is in the URL: keep it out of caches, Referer headers and search engines; status changes over time. */
const PRIVATE_HEADERS = {
  ...PAGE_HEADERS,
  'cache-control': 'no-store',
  'x-robots-tag': 'noindex',
};
/** The pages' only style, inline; nothing else loads but the tenant's logo from this server. */
const PAGE_STYLE =
  ':root{color-scheme:light;--ink:#1f2937;--muted:#4b5563;--line:#e5e7eb;--accent:#1d4ed8}' +
  '*{box-sizing:border-box}body{margin:0;background:#f3f4f6;color:var(--ink);' +
  'font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;line-height:1.5}' +
  'main{max-width:36rem;margin:2rem auto;padding:0 1rem}' +
  '.card{background:#fff;border-radius:12px;box-shadow:0 1px 3px rgba(0,0,0,.12);overflow:hidden}' +
  'header{display:flex;align-items:center;gap:12px;padding:16px 24px;border-bottom:3px solid var(--accent)}' +
  'header img{max-height:40px;max-width:160px}header span{font-weight:700;font-size:1.1rem}' +
  '.status{padding:20px 24px 0}.badge{display:inline-block;padding:4px 12px;border-radius:999px;font-weight:700}' +
  '.valid .badge{background:#dcfce7;color:#11612b}.expired .badge{background:#fef3c7;color:#8a5300}' +
  '.revoked .badge{background:#fee2e2;color:#a3121e}h1{font-size:1.4rem;margin:12px 0 0}' +
  'dl{margin:0;padding:16px 24px 24px;display:grid;grid-template-columns:max-content 1fr;gap:8px 16px}' +
  'dt{color:var(--muted)}dd{margin:0;font-weight:600;overflow-wrap:anywhere}' +
  'footer{padding:12px 24px;border-top:1px solid var(--line);color:var(--muted);font-size:.85rem}' +
  '@media (max-width:420px){dl{grid-template-columns:1fr}dd{margin-bottom:8px}}';
const HTML_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy':
    `default-src 'none'; style-src ${sha256Source(PAGE_STYLE)}; img-src 'self'; ` +
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  vary: 'Accept-Language',
};
const htmlHeaders = (locale: string) => ({ ...HTML_HEADERS, 'content-language': locale });

/** The same answer for a malformed and an unknown code (and for any path under these prefixes). */
function notFound(res: ServerResponse, wantsJson: boolean, text: CertificateText): void {
  if (wantsJson) return json(res, 404, { error: 'Not found' });
  res.writeHead(404, { ...PRIVATE_HEADERS, ...htmlHeaders(text.locale) });
  const title = t(text, 'notFoundTitle');
  res.end(
    page(
      text,
      title,
      `<div class="card"><div class="status"><h1>${escapeHtml(title)}</h1><p>${escapeHtml(t(text, 'notFoundBody'))}</p></div></div>`,
    ),
  );
}

const isoDay = (date: Date | null) => (date ? date.toISOString().slice(0, 10) : null);

/** The JSON answer: the fields of GraphQL's CertificateVerification, in its spelling. */
export function verification(certificate: PublicCertificate) {
  return {
    status: certificate.status.toUpperCase(),
    holderName: certificate.holderName,
    courseTitle: certificate.courseTitle,
    issuedBy: certificate.organisation ?? DEFAULT_ORGANISATION_NAME,
    issuedAt: certificate.issuedAt.toISOString(),
    expiresAt: isoDay(certificate.expiresAt),
    evidence: certificate.evidence.map((evidence) => ({
      kind: evidence.kind.toUpperCase(),
      passed: evidence.passed,
      score: evidence.score,
      recordedAt: evidence.recordedAt.toISOString(),
      recordedByName: evidence.recordedByName,
    })),
  };
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/** The verify page in the viewer's language: the organisation and its logo, the status first, then the facts. */
function verifyPage(certificate: PublicCertificate, text: CertificateText): string {
  const organisation = certificate.organisation ?? DEFAULT_ORGANISATION_NAME;
  const rows: [string, string][] = [
    [t(text, 'holder'), certificate.holderName ?? t(text, 'nameNotOnRecord')],
    [t(text, 'course'), certificate.courseTitle],
    [t(text, 'completed'), day(text, certificate.completedAt ?? certificate.issuedAt)],
    [t(text, 'issued'), day(text, certificate.issuedAt)],
    [t(text, 'validUntil'), certificate.expiresAt ? day(text, certificate.expiresAt) : t(text, 'noExpiry')],
    [t(text, 'evidence'), evidenceSummary(text, certificate.evidence) || t(text, 'noEvidence')],
  ];
  const headline = t(text, `headline.${certificate.status}`);
  const logo = certificate.logoSha256 ? `<img src="${escapeHtml(logoPath(certificate.logoSha256))}" alt="">` : '';
  const body =
    `<div class="card ${certificate.status}"><header>${logo}<span>${escapeHtml(organisation)}</span></header>` +
    `<div class="status"><span class="badge">${escapeHtml(t(text, `statusValue.${certificate.status}`))}</span>` +
    `<h1>${escapeHtml(headline)}</h1></div><dl>` +
    rows.map(([term, value]) => `<dt>${escapeHtml(term)}</dt><dd>${escapeHtml(value)}</dd>`).join('') +
    `</dl><footer>${escapeHtml(t(text, 'issuedBy', { organisation }))}</footer></div>`;
  return page(text, headline, body);
}

function page(text: CertificateText, title: string, body: string): string {
  return (
    `<!doctype html><html lang="${escapeHtml(text.locale)}"><head><meta charset="utf-8">` +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>${escapeHtml(title)}</title><style>${PAGE_STYLE}</style></head><body><main>${body}</main></body></html>`
  );
}
