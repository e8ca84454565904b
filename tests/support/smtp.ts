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
  /** Messages the server is holding unanswered (only with `hold`). */
  held: number;
  /** Resolves once `count` messages are held at the same time. */
  whenHolding(count: number): Promise<void>;
  /** Answers every held message and stops holding. */
  release(): void;
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

/**
 * `hold`: each message waits unanswered until `release()`, so a test can have two senders busy at the same time
 * without guessing at delays.
 */
export async function startSmtpServer(options: { refuseFirst?: number; hold?: boolean } = {}): Promise<TestSmtpServer> {
  let holding = options.hold ?? false;
  const waiting: Array<() => void> = [];
  const watchers: Array<{ count: number; resolve: () => void }> = [];
  const state: TestSmtpServer = {
    url: '',
    received: [],
    refused: 0,
    held: 0,
    whenHolding: (count) =>
      new Promise<void>((resolve) => {
        if (state.held >= count) resolve();
        else watchers.push({ count, resolve });
      }),
    release() {
      holding = false;
      for (const answer of waiting.splice(0)) answer();
    },
    close: async () => {},
  };
  const held = () =>
    new Promise<void>((resolve) => {
      state.held++;
      waiting.push(() => {
        state.held--;
        resolve();
      });
      for (const watcher of watchers.filter((w) => state.held >= w.count)) {
        watchers.splice(watchers.indexOf(watcher), 1);
        watcher.resolve();
      }
    });
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', async () => {
        if (holding) await held();
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
