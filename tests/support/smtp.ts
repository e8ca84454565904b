import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/**
 * A real SMTP server in the test's process (the `smtp-server` package): it
 * accepts every message (or refuses the first `refuseFirst` with a temporary
 * 451) and keeps what arrived, decoded enough to read headers and both parts.
 */
export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  subject: string;
  /** The text/plain and text/html parts, quoted-printable decoded. */
  text: string;
  html: string;
}

export interface TestSmtpServer {
  url: string;
  received: ReceivedMail[];
  /** Messages refused so far. */
  refused: number;
  close(): Promise<void>;
}

const decodeQuotedPrintable = (value: string) =>
  Buffer.from(
    value
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))),
    'latin1',
  ).toString('utf8');

/** The body of the MIME part whose Content-Type is `type`, decoded. */
function part(raw: string, type: string): string {
  const start = raw.search(new RegExp(`Content-Type: ${type}`, 'i'));
  if (start < 0) return '';
  const rest = raw.slice(start);
  const headerEnd = rest.search(/\r?\n\r?\n/);
  const headers = rest.slice(0, headerEnd);
  const body = rest.slice(headerEnd).replace(/^\r?\n\r?\n/, '');
  const end = body.search(/\r?\n--/);
  const content = end < 0 ? body : body.slice(0, end);
  if (/Content-Transfer-Encoding: quoted-printable/i.test(headers)) return decodeQuotedPrintable(content);
  if (/Content-Transfer-Encoding: base64/i.test(headers)) return Buffer.from(content, 'base64').toString('utf8');
  return content;
}

/** RFC 2047 encoded words (`=?UTF-8?Q?…?=`, `=?UTF-8?B?…?=`) decoded; the space between two of them dropped. */
const decodeWords = (value: string) =>
  value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?UTF-8\?([QB])\?([^?]*)\?=/gi, (_m, encoding: string, text: string) =>
      encoding.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : decodeQuotedPrintable(text.replace(/_/g, ' ')),
    );

/** A header's value, unfolded and decoded (nodemailer folds long ones and encodes non-ASCII ones). */
export function headerOf(raw: string, name: string): string {
  const headers = raw.slice(0, raw.search(/\r?\n\r?\n/));
  const match = new RegExp(`^${name}: (.*(?:\\r?\\n[ \\t].*)*)`, 'im').exec(headers);
  return decodeWords((match?.[1] ?? '').replace(/\r?\n[ \t]/g, ' '));
}

const subjectOf = (raw: string) => headerOf(raw, 'Subject');

export function parseMail(raw: string): Pick<ReceivedMail, 'raw' | 'subject' | 'text' | 'html'> {
  return { raw, subject: subjectOf(raw), text: part(raw, 'text/plain'), html: part(raw, 'text/html') };
}

/** `delayMs`: how long the server takes to accept each message (to keep racing deliverers busy). */
export async function startSmtpServer(
  options: { refuseFirst?: number; delayMs?: number } = {},
): Promise<TestSmtpServer> {
  const state: TestSmtpServer = { url: '', received: [], refused: 0, close: async () => {} };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', async () => {
        if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
        if (state.refused < (options.refuseFirst ?? 0)) {
          state.refused++;
          const error = Object.assign(new Error('Try again later'), { responseCode: 451 });
          callback(error);
          return;
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        state.received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          ...parseMail(raw),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  state.url = `smtp://127.0.0.1:${port}`;
  state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}
