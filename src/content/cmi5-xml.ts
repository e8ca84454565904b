import { XMLParser, XMLValidator } from 'fast-xml-parser';

/** One AU of a course structure, in document order, with the title of the block it sits in (blocks nest). */
export interface Cmi5Au {
  activityId: string;
  title: string;
  url: string;
  moveOn: string;
  masteryScore: number | null;
  launchMethod: string;
  launchParameters: string | null;
  entitlementKey: string | null;
  blockTitle: string | null;
}

export interface Cmi5Course {
  courseId: string;
  title: string;
  aus: Cmi5Au[];
}

/** Why a cmi5.xml was refused: shown to the client as it is. */
export class Cmi5Error extends Error {}

export const MOVE_ON = ['Passed', 'Completed', 'CompletedAndPassed', 'CompletedOrPassed', 'NotApplicable'];
export const LAUNCH_METHODS = ['AnyWindow', 'OwnWindow'];
/** The most AUs one course structure may hold. */
export const MAX_AUS = 5000;

type Node = Record<string, unknown> & { ':@'?: Record<string, string> };

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: false,
});

const tagOf = (node: Node) => Object.keys(node).find((key) => key !== ':@')!;
const childrenOf = (node: Node) => node[tagOf(node)] as Node[];
const childNamed = (node: Node, tag: string) => childrenOf(node).find((child) => tagOf(child) === tag);

/** The text of an element (the first langstring of a localised one). */
function textOf(node: Node | undefined): string | null {
  if (!node) return null;
  const parts: string[] = [];
  for (const child of childrenOf(node)) {
    const tag = tagOf(child);
    if (tag === '#text') parts.push(String(child['#text']));
    else if (tag === 'langstring') return textOf(child);
  }
  const text = parts.join('').trim();
  return text === '' ? null : text;
}

/**
 * The course structure of a cmi5.xml (cmi5 §13.1): the course's id and title, and every AU (nested in blocks or
 * not) in document order with its moveOn, masteryScore, launchMethod and launch parameters. Refuses, saying why, a
 * document that is not XML, declares a DOCTYPE (no entity expansion), or breaks the rules cmi5 sets for these.
 */
export function parseCmi5(xml: string): Cmi5Course {
  if (/<!DOCTYPE/i.test(xml)) throw new Cmi5Error('cmi5.xml must not declare a DOCTYPE');
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new Cmi5Error(`cmi5.xml is not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`);
  const roots = (parser.parse(xml) as Node[]).filter((node) => !['?xml', '#comment'].includes(tagOf(node)));
  const root = roots.find((node) => tagOf(node) === 'courseStructure');
  if (!root) throw new Cmi5Error('cmi5.xml has no courseStructure root element');
  const course = childNamed(root, 'course');
  const courseId = course?.[':@']?.id;
  if (!course || !courseId) throw new Cmi5Error('cmi5.xml: the course element with its id is required');
  const aus: Cmi5Au[] = [];
  walk(root, null, aus);
  if (aus.length === 0) throw new Cmi5Error('cmi5.xml holds no AU');
  const ids = new Set<string>();
  for (const au of aus) {
    if (ids.has(au.activityId)) throw new Cmi5Error(`cmi5.xml: AU id ${au.activityId} appears twice`);
    ids.add(au.activityId);
  }
  return { courseId: iri('course id', courseId), title: textOf(childNamed(course, 'title')) ?? courseId, aus };
}

function walk(parent: Node, blockTitle: string | null, aus: Cmi5Au[]): void {
  for (const child of childrenOf(parent)) {
    const tag = tagOf(child);
    if (tag === 'block') walk(child, textOf(childNamed(child, 'title')) ?? blockTitle, aus);
    else if (tag === 'au') {
      if (aus.length >= MAX_AUS) throw new Cmi5Error(`cmi5.xml holds more than ${MAX_AUS} AUs`);
      aus.push(auOf(child, blockTitle));
    }
  }
}

function auOf(node: Node, blockTitle: string | null): Cmi5Au {
  const attributes = node[':@'] ?? {};
  const where = attributes.id ? `AU ${attributes.id}` : 'an AU';
  const activityId = iri(`${where} id`, attributes.id);
  const url = textOf(childNamed(node, 'url'));
  if (!url) throw new Cmi5Error(`cmi5.xml: ${where} has no url`);
  if (url.length > 2000) throw new Cmi5Error(`cmi5.xml: ${where} url is longer than 2000 characters`);
  const moveOn = attributes.moveOn ?? 'NotApplicable';
  if (!MOVE_ON.includes(moveOn)) throw new Cmi5Error(`cmi5.xml: ${where} moveOn must be one of ${MOVE_ON.join(', ')}`);
  const launchMethod = attributes.launchMethod ?? 'AnyWindow';
  if (!LAUNCH_METHODS.includes(launchMethod)) {
    throw new Cmi5Error(`cmi5.xml: ${where} launchMethod must be AnyWindow or OwnWindow`);
  }
  let masteryScore: number | null = null;
  if (attributes.masteryScore !== undefined) {
    masteryScore = Number(attributes.masteryScore);
    if (!Number.isFinite(masteryScore) || masteryScore < 0 || masteryScore > 1) {
      throw new Cmi5Error(`cmi5.xml: ${where} masteryScore must be a decimal from 0 to 1`);
    }
  }
  return {
    activityId,
    title: (textOf(childNamed(node, 'title')) ?? activityId).slice(0, 500),
    url,
    moveOn,
    masteryScore,
    launchMethod,
    launchParameters: textOf(childNamed(node, 'launchParameters')),
    entitlementKey: textOf(childNamed(node, 'entitlementKey')),
    blockTitle: blockTitle?.slice(0, 500) ?? null,
  };
}

/** An id of the course structure: an IRI (absolute, with a scheme), at most 2000 characters. */
function iri(what: string, value: string | undefined): string {
  if (!value || !/^[a-z][a-z0-9+.-]*:\S+$/i.test(value) || value.length > 2000) {
    throw new Cmi5Error(`cmi5.xml: ${what} must be an IRI (e.g. https://example.com/course/1)`);
  }
  return value;
}
