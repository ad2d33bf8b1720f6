import { randomUUID } from 'node:crypto';
import type { EventStore, NewEvent, RecordedEvent } from '@engagement/event-store';
import { ContactErasedError } from './contact-personal-data';
import { decryptField, encryptField, newDataKey, parseEnvelope } from './field-cipher';
import { openSealedFields, sealEventFields, SealingEventStore, type Sealer } from './sealed-fields';

const contactId = 'c0000000-0000-4000-8000-000000000001';
const fieldsOf = (type: string) => (type === 'Registered' ? ['formData', 'sourceUrl'] : []);

/** ContactPersonalData's sealing, with one key per contact held here; erase() destroys it. */
function keyRing() {
  const keys = new Map<string, Buffer>([[contactId, newDataKey()]]);
  const keyOf = (id: string) => {
    const key = keys.get(id);
    if (!key) throw new ContactErasedError(id);
    return key;
  };
  const sealer: Sealer & { erase(id: string): void } = {
    async sealFields(id, data, fields) {
      const sealed: Record<string, unknown> = { ...data };
      for (const f of fields)
        if (sealed[f] != null) sealed[f] = encryptField(sealed[f] as never, 'k1', keyOf(id), id);
      return sealed as typeof data;
    },
    async openFields(id, data, fields) {
      const opened: Record<string, unknown> = { ...data };
      for (const f of fields) {
        const envelope = parseEnvelope(opened[f]);
        if (envelope) opened[f] = decryptField(envelope, keyOf(id), id);
      }
      return opened as typeof data;
    },
    erase: (id) => keys.delete(id),
  };
  return sealer;
}

const registered = (data: Record<string, unknown>) => ({
  type: 'Registered',
  data: { contactId, ...data } as Record<string, unknown>,
});

describe('sealed fields', () => {
  it('seals only the named fields of the named types, and opens them again', async () => {
    const sealer = keyRing();
    const event = registered({ formData: { company: 'Acme' }, sourceUrl: null, status: 'ok' });
    const sealed = await sealEventFields(sealer, fieldsOf, event);
    expect(parseEnvelope(sealed.data.formData)).not.toBeNull();
    expect(sealed.data).toMatchObject({ sourceUrl: null, status: 'ok', contactId });
    expect(JSON.stringify(sealed)).not.toContain('Acme');
    expect((await openSealedFields(sealer, fieldsOf, sealed)).data).toEqual(event.data);

    const other = { type: 'Cancelled', data: { contactId, formData: { company: 'Acme' } } };
    expect(await sealEventFields(sealer, fieldsOf, other)).toBe(other);
  });

  it('opens as null once the contact is erased; with no sealer, reads the event as it is', async () => {
    const sealer = keyRing();
    const sealed = await sealEventFields(sealer, fieldsOf, registered({ formData: { a: 1 } }));
    sealer.erase(contactId);
    expect((await openSealedFields(sealer, fieldsOf, sealed)).data).toEqual({
      contactId,
      formData: null,
      sourceUrl: null,
    });
    expect(await openSealedFields(null, fieldsOf, sealed)).toBe(sealed);
    await expect(sealEventFields(sealer, fieldsOf, registered({ formData: {} }))).rejects.toThrow(
      ContactErasedError,
    );
  });

  it('seals on append; opens on read only when asked to', async () => {
    const appended: NewEvent[] = [];
    const inner = {
      async appendToStream(_streamId: string, events: NewEvent[]) {
        appended.push(...events);
        return { position: 1n, revision: 0n };
      },
      async readStream(streamId: string) {
        return appended.map(
          (e, i) => ({ ...e, streamId, revision: BigInt(i), globalPosition: 1n }) as RecordedEvent,
        );
      },
    } as unknown as EventStore;
    const sealer = keyRing();
    const event = {
      id: randomUUID(),
      schemaVersion: 1,
      metadata: {} as NewEvent['metadata'],
      ...registered({ formData: { company: 'Acme' } }),
    } as NewEvent;
    const passing = new SealingEventStore(inner, sealer, fieldsOf, { openOnRead: false });
    await passing.appendToStream('registration-1', [event], { expectedRevision: 'any' });
    expect(JSON.stringify(appended)).not.toContain('Acme');
    const [read] = await passing.readStream('registration-1');
    expect(parseEnvelope(read!.data.formData)).not.toBeNull();

    const opening = new SealingEventStore(inner, sealer, fieldsOf, { openOnRead: true });
    const [opened] = await opening.readStream('registration-1');
    expect(opened!.data.formData).toEqual({ company: 'Acme' });
  });
});
