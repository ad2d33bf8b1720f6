// The registrant as a contact: the contacts service's upsert by email
// (PUT /contacts: 201 created, 200 existing; answers { id, position,
// revision }). Idempotent by nature (the same email is the same contact), so
// it is retried on 5xx answers and connection errors with backoff; a 4xx is
// the caller's input (e.g. an email contacts refuses) and is not retried.
import { ProblemError, problem } from '@engagement/http';
import type { CommandContext } from '@engagement/decider';
import { ServiceInstances } from '@engagement/service-auth';

export interface Registrant {
  email: string;
  firstName?: string;
  lastName?: string;
  phone?: string;
}

export interface ContactsClientOptions {
  /** The contacts service's base URL, e.g. http://127.0.0.1:3101, or several instances' comma-separated. */
  baseUrl: string;
  /** The Authorization header for a call to contacts: the events service's own service token. */
  authorization(): string;
  /** Attempts in all; default 5 (about 1.5 s of backoff). */
  attempts?: number;
  timeoutMs?: number;
}

const instancesByUrl = new Map<string, ServiceInstances>();

/** One rotation over the contacts instances per setting, shared by every call. */
function instancesOf(baseUrl: string): ServiceInstances {
  let instances = instancesByUrl.get(baseUrl);
  if (!instances) instancesByUrl.set(baseUrl, (instances = new ServiceInstances(baseUrl)));
  return instances;
}

export class ContactsUnavailableError extends ProblemError {
  constructor(reason: string) {
    super(problem(503, 'contacts-unavailable', `The contacts service did not answer: ${reason}`));
  }
}

export class ContactsClient {
  constructor(private readonly options: ContactsClientOptions) {}

  /** The contact's id, created if no contact has this email. */
  async upsertByEmail(registrant: Registrant, context: CommandContext): Promise<string> {
    const attempts = this.options.attempts ?? 5;
    const body = JSON.stringify({
      email: registrant.email,
      ...(registrant.firstName !== undefined && { firstName: registrant.firstName }),
      ...(registrant.lastName !== undefined && { lastName: registrant.lastName }),
      ...(registrant.phone !== undefined && { phone: registrant.phone }),
    });
    let lastError = 'no attempt';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) await sleep(100 * 2 ** (attempt - 2) * (0.5 + Math.random()));
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'x-correlation-id': context.correlationId,
      };
      if (context.traceparent) headers.traceparent = context.traceparent;
      headers.authorization = this.options.authorization();
      let response: Response;
      try {
        response = await instancesOf(this.options.baseUrl).fetch('/contacts', {
          method: 'PUT',
          headers,
          body,
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
        });
      } catch (error) {
        lastError = (error as Error).message;
        continue;
      }
      const text = await response.text();
      if (response.status >= 500) {
        lastError = `HTTP ${response.status}`;
        continue;
      }
      if (response.status === 200 || response.status === 201) {
        const answer = JSON.parse(text) as { id: string };
        return answer.id;
      }
      // The contacts service refused the registrant (422: e.g. the email): the client's input.
      let refused: { errors?: unknown; detail?: string } = {};
      try {
        refused = JSON.parse(text);
      } catch {
        /* not problem+json */
      }
      if (response.status === 422 || response.status === 400) {
        throw new ProblemError(
          problem(422, 'validation-failed', refused.detail ?? 'The registrant was refused', {
            errors: refused.errors ?? [],
          }),
        );
      }
      throw new ContactsUnavailableError(`HTTP ${response.status}`);
    }
    throw new ContactsUnavailableError(lastError);
  }
}

export interface ContactIdentity {
  email: string;
  firstName: string | null;
  lastName: string | null;
}

/** What the platform sync needs to add a registrant on Zoom: GET /contacts/:id ('read' scope). */
export async function fetchContact(
  options: ContactsClientOptions,
  contactId: string,
): Promise<ContactIdentity | null> {
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await instancesOf(options.baseUrl).fetch(`/contacts/${contactId}`, {
        headers: { authorization: options.authorization() },
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      // The registrant was made by the upsert before the registration: a 404 is the
      // contacts read model catching up, to be asked again later.
      if (response.status === 404) throw new ContactsUnavailableError('contact not readable yet');
      if (response.ok) {
        const body = (await response.json()) as ContactIdentity & { erasedAt?: string | null };
        if (body.erasedAt) return null;
        return {
          email: body.email,
          firstName: body.firstName ?? null,
          lastName: body.lastName ?? null,
        };
      }
      if (response.status < 500) throw new ContactsUnavailableError(`HTTP ${response.status}`);
    } catch (error) {
      if (attempt >= (options.attempts ?? 5)) throw error;
    }
    await sleep(100 * 2 ** attempt);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
