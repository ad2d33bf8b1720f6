// POST /templates and POST /messages through the service's HTTP API, the
// send worker and a real SMTP server: what arrives, what sent_messages
// says, and the refusals a client can fix.
import { startTestBed, type TestBed } from '../shared/test-bed.testing';

const template = {
  slug: 'welcome',
  name: 'Welcome',
  channel: 'email',
  subjectTemplate: 'Welcome, {{ contact.first_name }}',
  cachedContentHtml:
    '<p>Hi {{ contact.first_name }}, <a href="https://example.com/start">start</a> with {{ coupon }}</p>',
  cachedContentText: 'Hi {{ contact.first_name }}, start with {{ coupon }}',
  variables: { coupon: { type: 'string' } },
  requiredVariables: ['coupon'],
};

describe('messages over SMTP', () => {
  let bed: TestBed;
  beforeAll(async () => {
    bed = await startTestBed();
  });
  afterAll(() => bed.close());

  it('creates a template (201 with its id) and sends a rendered multipart email with List-Unsubscribe', async () => {
    const created = await bed.request('POST', '/templates', template);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: expect.any(String), slug: 'welcome', version: 1 });

    const contactId = await bed.addContact({ firstName: '<Ann>' });
    const sent = await bed.request('POST', '/messages', {
      template: 'welcome',
      contactId,
      variables: { coupon: 'SAVE10' },
    });
    expect(sent.status).toBe(202);
    expect(sent.body).toMatchObject({ id: expect.any(String), status: 'queued' });

    const mail = await bed.eventually(async () =>
      bed.smtp.received.find((m) => m.headers.get('x-engagement-message-id') === sent.body.id),
    );
    expect(mail.subject).toBe('Welcome, <Ann>');
    expect(mail.html).toContain('Hi &lt;Ann&gt;, ');
    expect(mail.html).toContain('http://gateway.test/api/track/click/');
    expect(mail.html).toContain('http://gateway.test/api/track/open/');
    expect(mail.text).toContain('start with SAVE10');
    // Header lines as sent, unfolded (RFC 5322 folding).
    const header = (name: string) =>
      mail.headerLines.find((h) => h.key === name)?.line.replace(/\r?\n[ \t]+/g, ' ');
    expect(header('list-unsubscribe-post')).toBe(
      'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
    );
    expect(header('list-unsubscribe')).toMatch(
      /^List-Unsubscribe:\s+<http:\/\/gateway\.test\/api\/track\/unsubscribe\/[^>]+>$/,
    );
    expect(mail.messageId).toBe(`<${sent.body.id}@test.local>`);

    const row = await bed.eventually(async () => {
      const r = await bed.request('GET', `/messages/${sent.body.id}`);
      return r.body.status === 'sent' ? r.body : null;
    });
    expect(row).toMatchObject({
      contactId,
      templateId: created.body.id,
      templateVersion: 1,
      channel: 'email',
      provider: 'smtp',
      providerMessageId: `<${sent.body.id}@test.local>`,
      recipientEmail: mail.envelopeTo[0],
      subject: 'Welcome, <Ann>',
    });
  });

  it('creates one template and sends one message per Idempotency-Key: a retry answers with the first result', async () => {
    const key = (name: string) => ({ 'idempotency-key': `${name}-${Date.now()}` });
    const templateKey = key('template');
    const keyed = { ...template, slug: `keyed-${Date.now()}` };
    const first = await bed.request('POST', '/templates', keyed, templateKey);
    const retry = await bed.request('POST', '/templates', keyed, templateKey);
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(first.body);

    const contactId = await bed.addContact();
    const message = { template: keyed.slug, contactId, variables: { coupon: 'ONCE' } };
    const messageKey = key('message');
    const sent = await bed.request('POST', '/messages', message, messageKey);
    const again = await bed.request('POST', '/messages', message, messageKey);
    expect(sent.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body).toEqual(sent.body);
    await bed.eventually(async () =>
      bed.smtp.received.find((m) => m.headers.get('x-engagement-message-id') === sent.body.id),
    );
    const other = await bed.request('POST', '/messages', message);
    expect(other.body.id).not.toBe(sent.body.id);
  });

  it('refuses with 422 naming the missing required variables, an unknown template or channel, invalid Liquid', async () => {
    const contactId = await bed.addContact();
    const missing = await bed.request('POST', '/messages', {
      template: 'welcome',
      contactId,
      variables: {},
    });
    expect(missing.status).toBe(422);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
    expect(missing.body).toMatchObject({
      code: 'missing-required-variables',
      details: { variables: ['coupon'] },
    });

    const unknown = await bed.request('POST', '/messages', {
      template: 'nope',
      contactId,
      variables: {},
    });
    expect(unknown.status).toBe(422);
    expect(unknown.body.code).toBe('unknown-template');

    const channel = await bed.request('POST', '/templates', {
      ...template,
      slug: 'fax',
      channel: 'fax',
    });
    expect(channel.status).toBe(422);
    const liquid = await bed.request('POST', '/templates', {
      ...template,
      slug: 'broken',
      cachedContentText: '{% if %}',
    });
    expect(liquid.status).toBe(422);
    expect(liquid.body.code).toBe('invalid-template');
    const undeclared = await bed.request('POST', '/templates', {
      ...template,
      slug: 'undeclared',
      cachedContentText: '{{ cupon }}',
    });
    expect(undeclared.status).toBe(422);
    expect(undeclared.body.detail).toContain('unknown variable "cupon"');
    expect(
      (await bed.request('GET', '/messages/00000000-0000-4000-8000-000000000000')).status,
    ).toBe(404);
  });

  it('blocks marketing without consent and records why, sending nothing', async () => {
    const contactId = await bed.addContact({ consent: { email: true } });
    const sent = await bed.request('POST', '/messages', {
      template: 'welcome',
      contactId,
      kind: 'marketing',
      variables: { coupon: 'X' },
    });
    expect(sent.status).toBe(202);
    const row = await bed.eventually(async () => {
      const r = await bed.request('GET', `/messages/${sent.body.id}`);
      return r.body.status === 'blocked' ? r.body : null;
    });
    expect(row).toMatchObject({
      errorCode: 'consent',
      errorMessage: 'no marketing consent',
      sentAt: null,
    });
    expect(
      bed.smtp.received.some((m) => m.headers.get('x-engagement-message-id') === sent.body.id),
    ).toBe(false);
  });

  it('records a recipient refused by the SMTP server as a hard bounce', async () => {
    const email = 'gone@example.com';
    bed.smtp.refuse.add(email);
    const contactId = await bed.addContact({ email });
    const sent = await bed.request('POST', '/messages', {
      template: 'welcome',
      contactId,
      variables: { coupon: 'X' },
    });
    const row = await bed.eventually(async () => {
      const r = await bed.request('GET', `/messages/${sent.body.id}`);
      return r.body.status === 'bounced' ? r.body : null;
    });
    expect(row).toMatchObject({ bounceType: 'hard', errorCode: '550' });
  });

  it('versions a used template on edit, and keeps the version each message used', async () => {
    const created = await bed.request('POST', '/templates', { ...template, slug: 'versioned' });
    const before = await bed.request('PATCH', `/templates/${created.body.id}`, { name: 'Renamed' });
    expect(before.body.version).toBe(1);
    const contactId = await bed.addContact();
    const sent = await bed.request('POST', '/messages', {
      template: created.body.id,
      contactId,
      variables: { coupon: 'X' },
    });
    const after = await bed.request('PATCH', `/templates/${created.body.id}`, {
      subjectTemplate: 'Hello {{ contact.first_name }}',
    });
    expect(after.body.version).toBe(2);
    const row = await bed.eventually(async () => {
      const r = await bed.request('GET', `/messages/${sent.body.id}`);
      return r.body.status === 'sent' ? r.body : null;
    });
    expect(row.templateVersion).toBe(1);
    const current = await bed.request(
      'GET',
      `/templates/${created.body.id}?waitForPosition=${after.body.position}`,
    );
    expect(current.body).toMatchObject({
      version: 2,
      name: 'Renamed',
      subjectTemplate: 'Hello {{ contact.first_name }}',
    });
  });
});
