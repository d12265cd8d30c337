/**
 * The one error module of Urbis.
 *
 * Domain code throws an {@link NgsiError} (or one of the helpers below); the HTTP layer turns it
 * into an RFC 7807 ProblemDetails body whose `type` is the NGSI-LD error type URI
 * (ETSI GS CIM 009, clause 5.5.2). Logic never knows about HTTP beyond the status code kept here.
 */

export const ERROR_TYPE_BASE = 'https://uri.etsi.org/ngsi-ld/errors/';

/** NGSI-LD error types and the HTTP status each maps to. */
export const ErrorTypes = {
  InvalidRequest: 400,
  BadRequestData: 400,
  AlreadyExists: 409,
  OperationNotSupported: 422,
  ResourceNotFound: 404,
  InternalError: 500,
  TooComplexQuery: 403,
  TooManyResults: 403,
  LdContextNotAvailable: 503,
  NoMultiTenantSupport: 501,
  NonexistentTenant: 404,
  /** Not an NGSI-LD type: content negotiation failures (406/415) and body limits (413). */
  NotAcceptable: 406,
  UnsupportedMediaType: 415,
  PayloadTooLarge: 413,
  MethodNotAllowed: 405,
  /** Not NGSI-LD types either: access control (401, 403) and rate limits (429). */
  Unauthorized: 401,
  Forbidden: 403,
  TooManyRequests: 429,
} as const;

export type ErrorType = keyof typeof ErrorTypes;

const TITLES: Record<ErrorType, string> = {
  InvalidRequest: 'Invalid request',
  BadRequestData: 'Bad request data',
  AlreadyExists: 'Already exists',
  OperationNotSupported: 'Operation not supported',
  ResourceNotFound: 'Resource not found',
  InternalError: 'Internal error',
  TooComplexQuery: 'Too complex query',
  TooManyResults: 'Too many results',
  LdContextNotAvailable: 'JSON-LD context not available',
  NoMultiTenantSupport: 'No multi-tenant support',
  NonexistentTenant: 'Nonexistent tenant',
  NotAcceptable: 'Not acceptable',
  UnsupportedMediaType: 'Unsupported media type',
  PayloadTooLarge: 'Payload too large',
  MethodNotAllowed: 'Method not allowed',
  Unauthorized: 'Unauthorized',
  Forbidden: 'Forbidden',
  TooManyRequests: 'Too many requests',
};

/** RFC 7807 ProblemDetails as NGSI-LD uses it. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
}

export class NgsiError extends Error {
  readonly errorType: ErrorType;
  readonly status: number;
  readonly detail: string;
  /** The resource the error is about (entity id, attribute name, subscription id...), if any. */
  readonly instance?: string;

  constructor(errorType: ErrorType, detail: string, instance?: string) {
    super(detail);
    this.name = `NgsiError(${errorType})`;
    this.errorType = errorType;
    this.status = ErrorTypes[errorType];
    this.detail = detail;
    this.instance = instance;
  }

  get typeUri(): string {
    return ERROR_TYPE_BASE + this.errorType;
  }

  toProblem(): ProblemDetails {
    const p: ProblemDetails = {
      type: this.typeUri,
      title: TITLES[this.errorType],
      status: this.status,
      detail: this.detail,
    };
    if (this.instance !== undefined) p.instance = this.instance;
    return p;
  }
}

export const badRequest = (detail: string, instance?: string) => new NgsiError('BadRequestData', detail, instance);
export const invalidRequest = (detail: string, instance?: string) => new NgsiError('InvalidRequest', detail, instance);
export const notFound = (detail: string, instance?: string) => new NgsiError('ResourceNotFound', detail, instance);
export const alreadyExists = (detail: string, instance?: string) => new NgsiError('AlreadyExists', detail, instance);
export const notSupported = (detail: string, instance?: string) => new NgsiError('OperationNotSupported', detail, instance);
export const unauthorized = (detail: string) => new NgsiError('Unauthorized', detail);
export const forbidden = (detail: string, instance?: string) => new NgsiError('Forbidden', detail, instance);
export const tooComplex = (detail: string) => new NgsiError('TooComplexQuery', detail);
export const contextNotAvailable = (detail: string, url?: string) => new NgsiError('LdContextNotAvailable', detail, url);

/** Any thrown value as an NgsiError; unknown errors become InternalError without leaking internals. */
export function toNgsiError(err: unknown): NgsiError {
  if (err instanceof NgsiError) return err;
  return new NgsiError('InternalError', 'An internal error occurred; it has been logged.');
}
