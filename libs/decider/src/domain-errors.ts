// Domain rule violations, typed. One exception filter at the HTTP edge maps
// them to RFC 9457 problem+json: NotFound 404, Conflict 409, Rule 422.

export abstract class DomainError extends Error {
  abstract readonly status: 404 | 409 | 422;
  /** A short, stable, machine-readable code, e.g. 'email-taken'. */
  abstract readonly code: string;
  constructor(
    message: string,
    /** Extra facts for the client (an existing id, the field at fault). */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundError extends DomainError {
  readonly status = 404 as const;
  constructor(
    message: string,
    readonly code: string = 'not-found',
    details: Record<string, unknown> = {},
  ) {
    super(message, details);
  }
}

export class ConflictError extends DomainError {
  readonly status = 409 as const;
  constructor(
    message: string,
    readonly code: string = 'conflict',
    details: Record<string, unknown> = {},
  ) {
    super(message, details);
  }
}

/** The command is well-formed but breaks a rule (an invalid value, a forbidden transition). */
export class RuleViolationError extends DomainError {
  readonly status = 422 as const;
  constructor(
    message: string,
    readonly code: string = 'rule-violation',
    details: Record<string, unknown> = {},
  ) {
    super(message, details);
  }
}
