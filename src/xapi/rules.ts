import { invalid } from './errors.js';

/** The formats xAPI's data types use, and the checks every part of a statement shares. */

export type Json = Record<string, unknown>;
export type XapiVersion = '1.0.3' | '2.0.0';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const IRI = /^[a-z][a-z0-9+.-]*:[^\s]*$/i;
const MAILTO = /^mailto:[^@\s]+@[^@\s]+$/i;
const SHA1 = /^[0-9a-f]{40}$/i;
// RFC 5646 language tags (well-formed, not checked against the registry).
const LANGUAGE_TAG =
  /^(?:(?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4,8})(?:-[a-z]{4})?(?:-(?:[a-z]{2}|\d{3}))?(?:-(?:[a-z\d]{5,8}|\d[a-z\d]{3}))*(?:-[a-wyz\d](?:-[a-z\d]{2,8})+)*(?:-x(?:-[a-z\d]{1,8})+)?|x(?:-[a-z\d]{1,8})+|i-[a-z]{2,8})$/i;
const DURATION =
  /^P(?:\d+(?:\.\d+)?W|(?!$)(?:\d+(?:\.\d+)?Y)?(?:\d+(?:\.\d+)?M)?(?:\d+(?:\.\d+)?D)?(?:T(?=\d)(?:\d+(?:\.\d+)?H)?(?:\d+(?:\.\d+)?M)?(?:\d+(?:\.\d+)?S)?)?)$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}(?::?\d{2})?)?$/;

export const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function object(
  path: string,
  value: unknown,
  allowed: readonly string[],
  required: readonly string[] = [],
): Json {
  if (!isObject(value)) throw invalid(`${path} must be an object`);
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw invalid(`${path} has an unknown property "${key}"`);
  }
  for (const key of required) {
    if (value[key] === undefined) throw invalid(`${path}.${key} is required`);
  }
  return value;
}

export function string(path: string, value: unknown): string {
  if (typeof value !== 'string') throw invalid(`${path} must be a string`);
  return value;
}

export function iri(path: string, value: unknown): string {
  if (!IRI.test(string(path, value))) throw invalid(`${path} must be an absolute IRI`);
  return value as string;
}

export function uuid(path: string, value: unknown): string {
  if (!UUID.test(string(path, value))) throw invalid(`${path} must be a UUID`);
  return value as string;
}

export function boolean(path: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalid(`${path} must be true or false`);
  return value;
}

export function number(path: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(`${path} must be a number`);
  return value;
}

export function languageTag(path: string, value: unknown): string {
  if (!LANGUAGE_TAG.test(string(path, value))) throw invalid(`${path} must be an RFC 5646 language tag`);
  return value as string;
}

export function languageMap(path: string, value: unknown): void {
  if (!isObject(value)) throw invalid(`${path} must be a language map`);
  for (const [tag, text] of Object.entries(value)) {
    languageTag(`${path} key`, tag);
    string(`${path}.${tag}`, text);
  }
}

export function extensions(path: string, value: unknown): void {
  if (!isObject(value)) throw invalid(`${path} must be an object`);
  for (const key of Object.keys(value)) iri(`${path} key`, key);
}

export function duration(path: string, value: unknown): void {
  if (!DURATION.test(string(path, value))) throw invalid(`${path} must be an ISO 8601 duration`);
}

/** A timestamp as an instant; refuses a "-00:00" offset (an unknown zone, which xAPI forbids). */
export function timestamp(path: string, value: unknown): Date {
  const text = string(path, value);
  if (!TIMESTAMP.test(text) || /-00:?00$/.test(text)) throw invalid(`${path} must be an ISO 8601 timestamp`);
  const date = new Date(text.replace(' ', 'T'));
  if (Number.isNaN(date.getTime())) throw invalid(`${path} must be a valid timestamp`);
  return date;
}

export function mbox(path: string, value: unknown): void {
  if (!MAILTO.test(string(path, value))) throw invalid(`${path} must be a mailto: IRI`);
}

export function sha1(path: string, value: unknown): void {
  if (!SHA1.test(string(path, value))) throw invalid(`${path} must be a SHA-1 hex digest`);
}

export function array(path: string, value: unknown): unknown[] {
  if (!Array.isArray(value)) throw invalid(`${path} must be an array`);
  return value;
}
