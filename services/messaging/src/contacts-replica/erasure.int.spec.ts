// A contact's erasure as messaging sees it: ContactErased (from topic
// `contacts` into the replica, from the store into the read model) blanks
// the replica's personal fields and what sent_messages kept of the contact
// (recipient, content), and no new message goes out to it.
import { randomUUID } from 'node:crypto';
import type { RecordedEvent } from '@engagement/event-store';
import { applyKafkaBatch } from '@engagement/projections';
import { contactsReplicaProjection } from './contacts-replica.projection';
import { startTestBed, type TestBed } from '../shared/test-bed.testing';

describe('erasure', () => {
  let bed: TestBed;
  beforeAll(async () => {
    bed = await startTestBed();
  });
  afterAll(() => bed.close());

  it('blanks the replica and sent_messages, and blocks any later send', async () => {
    await bed.request('POST', '/templates', {
      slug: 'erasable',
      name: 'Erasable',
      channel: 'email',
      subjectTemplate: 'Hi {{ contact.first_name }}',
      cachedContentText: 'Hi {{ contact.first_name }}',
    });
    const email = `erase-${randomUUID().slice(0, 8)}@example.com`;
    const contactId = await bed.addContact({ email, firstName: 'Eve' });
    const first = await bed.request('POST', '/messages', {
      template: 'erasable',
      contactId,
      variables: {},
    });
    await bed.eventually(
      async () => (await bed.request('GET', `/messages/${first.body.id}`)).body.status === 'sent',
    );

    const at = new Date().toISOString();
    const [stored] = await bed.runtime.base.eventStore
      .appendToStream(
        `contact-${contactId}`,
        [
          {
            id: randomUUID(),
            type: 'ContactErased',
            schemaVersion: 1,
            data: { contactId, erasedAt: at },
            metadata: {
              correlationId: 'erase',
              causationId: null,
              traceparent: null,
              actor: 'test',
              occurredAt: at,
            },
          },
        ],
        { expectedRevision: 'any' },
      )
      .then(() => bed.runtime.base.eventStore.readStream(`contact-${contactId}`));
    await applyKafkaBatch(
      bed.runtime.base.pool,
      { projection: contactsReplicaProjection(bed.config.schema), schema: bed.config.schema },
      [stored as RecordedEvent],
    );

    const row = await bed.eventually(async () => {
      const r = await bed.request('GET', `/messages/${first.body.id}`);
      return r.body.recipientEmail === null ? r.body : null;
    });
    expect(row).toMatchObject({
      recipientEmail: null,
      subject: null,
      bodyText: null,
      status: 'sent',
    });
    const { rows } = await bed.pool.query(
      `SELECT email, first_name, erased_at FROM ${bed.config.schema}.contact_replica WHERE contact_id = $1`,
      [contactId],
    );
    expect(rows[0]).toMatchObject({ email: null, first_name: null });
    expect(rows[0].erased_at).not.toBeNull();

    // A transactional message to the erased contact is refused before sending.
    const later = await bed.request('POST', '/messages', {
      template: 'erasable',
      contactId,
      variables: {},
    });
    expect(later.status).toBe(202);
    const blocked = await bed.eventually(async () => {
      const r = await bed.request('GET', `/messages/${later.body.id}`);
      return r.body.status === 'blocked' ? r.body : null;
    });
    expect(blocked.errorCode).toBe('erased');
    expect(bed.smtp.received.filter((m) => m.envelopeTo.includes(email))).toHaveLength(1);
  });
});
