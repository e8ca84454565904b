import type { NotificationKindValue } from './kinds.js';

/** What an e-mail says, from what the deliverer's claim returns. */
export interface MessageFacts {
  kind: NotificationKindValue;
  displayName: string | null;
  courseTitle: string | null;
  dueDate: Date | null;
  expiresAt: Date | null;
  /** PUBLIC_URL: the web app's address. */
  publicUrl: string;
}

export interface Message {
  subject: string;
  text: string;
  html: string;
}

const day = (date: Date | null) => (date ? date.toISOString().slice(0, 10) : 'no date');

const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The subject and the one-sentence body of each kind. */
function wording(facts: MessageFacts): { subject: string; body: string } {
  const course = facts.courseTitle ?? 'a training course';
  switch (facts.kind) {
    case 'assignment_created':
      return {
        subject: `New training: ${course}`,
        body: `You have been assigned "${course}", due ${day(facts.dueDate)}.`,
      };
    case 'due_soon':
      return { subject: `Training due soon: ${course}`, body: `"${course}" is due on ${day(facts.dueDate)}.` };
    case 'overdue':
      return {
        subject: `Training overdue: ${course}`,
        body: `"${course}" was due on ${day(facts.dueDate)} and is overdue.`,
      };
    case 'certificate_expiring':
      return {
        subject: `Certificate expiring: ${course}`,
        body: `Your certificate for "${course}" expires on ${day(facts.expiresAt)}.`,
      };
    case 'recertification_assigned':
      return {
        subject: `Recertification: ${course}`,
        body: `Your certificate for "${course}" is expiring: the course has been assigned again, due ${day(facts.dueDate)}.`,
      };
    case 'risk_not_reduced':
      return {
        subject: `Risk not reduced: ${course}`,
        body: `A risk score is still at or above the threshold of "${course}" after the training was passed.`,
      };
    case 'completion_retracted':
      return {
        subject: `Training to retake: ${course}`,
        body: `Your completion of "${course}" no longer stands (its evidence was re-checked): the course is open for you again.`,
      };
  }
}

/** A plain-text and an HTML part saying the same, each with the link to the web app. */
export function composeMessage(facts: MessageFacts): Message {
  const { subject, body } = wording(facts);
  const link = `${facts.publicUrl}/`;
  const greeting = `Hello ${facts.displayName ?? 'there'},`;
  const text = `${greeting}\n\n${body}\n\nOpen the Training Center: ${link}\n`;
  const html =
    `<!doctype html><html><body><p>${escapeHtml(greeting)}</p><p>${escapeHtml(body)}</p>` +
    `<p><a href="${escapeHtml(link)}">Open the Training Center</a></p></body></html>`;
  return { subject, text, html };
}
