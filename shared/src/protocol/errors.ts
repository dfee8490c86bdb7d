// Error catalog: every error a client can see, with a stable code and an HTTP status. Services
// throw SluiceError(code); one handler per service maps it to `{ error: { code, message } }`.

export const ErrorCatalog = {
  BAD_REQUEST: { status: 400, message: 'The request is malformed.' },
  INVALID_BODY: { status: 400, message: 'The body must be a JSON object of the documented shape.' },
  INVALID_FIELD: { status: 400, message: 'A field has an invalid value.' },
  UNKNOWN_SKU: { status: 400, message: 'No such product in this event.' },
  QTY_OUT_OF_RANGE: { status: 400, message: 'Quantity is out of range.' },
  TICKET_MISSING: { status: 401, message: 'An admission ticket is required (Authorization: Bearer).' },
  TICKET_MALFORMED: { status: 401, message: 'The ticket is not a well-formed JWT.' },
  TICKET_ALG: { status: 401, message: 'The ticket algorithm is not allowed.' },
  TICKET_UNKNOWN_KEY: { status: 401, message: 'The ticket was signed by an unknown key.' },
  TICKET_SIGNATURE: { status: 401, message: 'The ticket signature is invalid.' },
  TICKET_EXPIRED: { status: 401, message: 'The ticket has expired.' },
  TICKET_NOT_YET_VALID: { status: 401, message: 'The ticket is not valid yet.' },
  TICKET_CLAIMS: { status: 401, message: 'The ticket is not for this service or event.' },
  TICKET_REVOKED: { status: 401, message: 'The ticket was revoked.' },
  TICKET_PROOF: { status: 401, message: 'This ticket is bound to a key: a valid DPoP proof of possession is required.' },
  UNAUTHENTICATED: { status: 401, message: 'Login required.' },
  FORBIDDEN: { status: 403, message: 'Not allowed.' },
  ORIGIN_FORBIDDEN: { status: 403, message: 'This origin may not use this event.' },
  ACCESS_REFUSED: { status: 403, message: 'This lane needs a valid access code or invite; this one was refused.' },
  CSRF: { status: 403, message: 'Cross-site request refused.' },
  NOT_FOUND: { status: 404, message: 'Not found.' },
  UNKNOWN_EVENT: { status: 404, message: 'No such event.' },
  UNKNOWN_LANE: { status: 404, message: 'No such lane in this event (or no lane open to anyone).' },
  ORDER_NOT_FOUND: { status: 404, message: 'No such order for this ticket.' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'Method not allowed.' },
  TICKET_USED: { status: 409, message: 'This ticket was already used.' },
  LIMIT_REACHED: { status: 409, message: 'The per-shopper limit is reached.' },
  SOLD_OUT: { status: 409, message: 'Sold out.' },
  EVENT_NOT_OPEN: { status: 409, message: 'The event is not open.' },
  CONFLICT: { status: 409, message: 'The resource changed; reload and retry.' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The body is too large.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Content-Type must be application/json.' },
  RATE_LIMITED: { status: 429, message: 'Too many requests; retry later.' },
  INTERNAL: { status: 500, message: 'Internal error.' },
  UNAVAILABLE: { status: 503, message: 'Temporarily unavailable; retry shortly.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ErrorCatalog;

export interface ErrorBody {
  error: { code: ErrorCode; message: string; field?: string };
}

export class SluiceError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly field?: string;
  constructor(code: ErrorCode, opts: { message?: string; field?: string; cause?: unknown } = {}) {
    // A refusal (4xx) is an answer, not a fault: capturing its stack costs ~5 µs, a large share
    // of refusing a junk request, and nobody reads it. 5xx errors keep their stack for the logs.
    const client = ErrorCatalog[code].status < 500;
    const limit = Error.stackTraceLimit;
    if (client) Error.stackTraceLimit = 0;
    try {
      super(opts.message ?? ErrorCatalog[code].message, { cause: opts.cause });
    } finally {
      Error.stackTraceLimit = limit;
    }
    this.name = 'SluiceError';
    this.code = code;
    this.status = ErrorCatalog[code].status;
    if (opts.field !== undefined) this.field = opts.field;
  }
}

/** Map anything thrown to a status and a body that never leaks internals. */
export function toErrorResponse(err: unknown): { status: number; body: ErrorBody; known: boolean } {
  if (err instanceof SluiceError) {
    const body: ErrorBody = { error: { code: err.code, message: err.message } };
    if (err.field !== undefined) body.error.field = err.field;
    return { status: err.status, body, known: true };
  }
  return { status: 500, body: { error: { code: 'INTERNAL', message: ErrorCatalog.INTERNAL.message } }, known: false };
}
