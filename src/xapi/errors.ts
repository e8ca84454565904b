/**
 * What the LRS answers a refused request with: an HTTP status and a message, the way xAPI clients expect
 * (the LRS speaks xAPI, not GraphQL). Thrown anywhere under a /xapi route and turned into the response.
 */
export class XapiError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 405 | 409 | 412 | 413,
    message: string,
  ) {
    super(message);
  }
}

export const invalid = (message: string) => new XapiError(400, message);
export const unauthorized = (message = 'Send Authorization: Basic with an LRS credential or a cmi5 auth token') =>
  new XapiError(401, message);
export const conflict = (message: string) => new XapiError(409, message);
export const preconditionFailed = (message: string) => new XapiError(412, message);
export const notFound = (message: string) => new XapiError(404, message);
