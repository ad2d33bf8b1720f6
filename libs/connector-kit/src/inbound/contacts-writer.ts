// The contacts service's commands, called over HTTP by a connector applying
// a change made in its CRM. The token names the connector as the caller and
// the CRM as the actor (`crm:hubspot`), so the contact's history says where
// the change came from; the bodies say `source: crm_sync`, which the
// contacts service records on properties, tags and activities.
import { randomUUID } from 'node:crypto';
import { ServiceInstances, signServiceToken } from '@engagement/service-auth';

export class ContactsCallError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | null,
    message: string,
  ) {
    super(message);
    this.name = 'ContactsCallError';
  }

  /** A client error the same call would get again (422, 404, 409): not retried. */
  get permanent(): boolean {
    return this.status >= 400 && this.status < 500 && this.status !== 408 && this.status !== 429;
  }
}

export interface UpsertBody {
  email: string;
  firstName?: string | null;
  lastName?: string | null;
  phone?: string | null;
  lifecycleStage?: string;
  properties?: Record<string, string | null>;
  tags?: string[];
  syncToCrms?: string[];
}

export class ContactsWriter {
  private readonly contacts: ServiceInstances;

  constructor(
    private readonly options: { contactsUrl: string; key: Buffer; serviceName: string; provider: string; timeoutMs?: number },
  ) {
    this.contacts = new ServiceInstances(options.contactsUrl);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const token = signServiceToken(this.options.key, {
      subject: `service:${this.options.serviceName}`,
      actor: `crm:${this.options.provider}`,
      scopes: ['read', 'write'],
      audience: 'contacts',
      requestId: randomUUID(),
    });
    const response = await this.contacts.fetch(path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 15_000),
    });
    const text = await response.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    if (!response.ok) {
      const problem = (parsed ?? {}) as { code?: string; detail?: string; title?: string };
      throw new ContactsCallError(response.status, problem.code ?? null, `contacts ${method} ${path.split('/').slice(0, 2).join('/')}: ${response.status} ${problem.code ?? ''} ${problem.detail ?? problem.title ?? ''}`.trim());
    }
    return { status: response.status, body: parsed as T };
  }

  /** PUT /contacts: create or update the contact with this email; resolves with its id. */
  async upsert(body: UpsertBody): Promise<{ contactId: string; created: boolean }> {
    const answer = await this.call<{ id: string }>('PUT', '/contacts', { ...body, source: 'crm_sync' });
    return { contactId: answer.body.id, created: answer.status === 201 };
  }

  async changeEmail(contactId: string, email: string): Promise<void> {
    await this.call('PATCH', `/contacts/${contactId}`, { email });
  }

  async addTags(contactId: string, tags: string[]): Promise<void> {
    if (tags.length > 0) await this.call('POST', `/contacts/${contactId}/tags`, { tags, appliedBy: 'crm_sync' });
  }

  async removeTag(contactId: string, slug: string): Promise<void> {
    await this.call('DELETE', `/contacts/${contactId}/tags/${encodeURIComponent(slug)}?removedBy=crm_sync`);
  }

  async softDelete(contactId: string): Promise<void> {
    await this.call('DELETE', `/contacts/${contactId}`);
  }

  async link(contactId: string, externalId: string): Promise<void> {
    await this.call('PUT', `/contacts/${contactId}/external-mappings/${this.options.provider}`, {
      externalId,
      syncDirection: 'bidirectional',
      syncedAt: new Date().toISOString(),
    });
  }

  async unlink(contactId: string): Promise<void> {
    await this.call('DELETE', `/contacts/${contactId}/external-mappings/${this.options.provider}`);
  }
}
