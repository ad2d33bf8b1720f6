// The contacts service trusts no caller without a service token: every route
// but the probes needs one addressed to 'contacts', with the scope the route
// needs; personal data (export, history, erase, data keys) needs pii scopes.
// Entitled services read contacts' personal fields with
// @engagement/personal-data, which gets the keys from here, audited, until
// the contact is erased.
import { randomBytes } from 'node:crypto';
import { ContactErasedError, ContactPersonalData } from '@engagement/personal-data';
import { ServiceIdentity, signServiceToken } from '@engagement/service-auth';
import { startTestApp, uniqueEmail, type TestApp } from '../shared/test-app.testing';

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t.close();
});

describe('calls without a valid service token', () => {
  it('are 401 problem+json: none, tampered, expired, for another service, or signed with another key', async () => {
    const valid = t.tokenFor({ scopes: ['read'] });
    const [header, payload] = valid.slice('Bearer '.length).split('.');
    const expired = signServiceToken(
      t.runtime.config.serviceTokenKey,
      { subject: 's', scopes: ['read'], audience: 'contacts', requestId: 'r' },
      Date.now() - 120_000,
    );
    const foreignKey = signServiceToken(randomBytes(32), {
      subject: 's',
      scopes: ['admin'],
      audience: 'contacts',
      requestId: 'r',
    });
    const refused = {
      none: {},
      garbage: { authorization: 'Bearer not-a-token' },
      tampered: { authorization: `Bearer ${header}.${payload}.AAAA` },
      expired: { authorization: `Bearer ${expired}` },
      otherService: { authorization: t.tokenFor({ audience: 'events' }) },
      otherKey: { authorization: `Bearer ${foreignKey}` },
      apiKeyItself: { authorization: 'Bearer eng_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG' },
    };
    for (const [name, headers] of Object.entries(refused)) {
      const withoutDefault = { authorization: '', ...headers };
      if (name === 'none') delete (withoutDefault as Record<string, string>).authorization;
      const response = await fetch(`${t.url}/contacts?limit=1`, { headers: withoutDefault });
      expect({ name, status: response.status }).toEqual({ name, status: 401 });
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    }
    // Writes are refused the same way, and nothing is appended.
    const before = await t.eventCount();
    const write = await fetch(`${t.url}/contacts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-actor': 'admin' },
      body: JSON.stringify({ email: uniqueEmail() }),
    });
    expect(write.status).toBe(401);
    expect(await t.eventCount()).toBe(before);
  });

  it('probes and the API document need none', async () => {
    for (const path of ['/health', '/ready', '/openapi.json']) {
      expect((await fetch(`${t.url}${path}`)).status).toBe(200);
    }
  });
});

describe('scopes, checked by the service itself', () => {
  it('are 403 when missing: reads need read, writes write, personal data its pii scopes', async () => {
    const as = (scopes: string[]) => ({ authorization: t.tokenFor({ scopes }) });
    const created = await t.request('POST', '/contacts', { email: uniqueEmail('scoped') });
    const id = created.body.id as string;
    const at = `?waitForPosition=${created.body.position}`;

    const status = async (method: string, path: string, scopes: string[], body?: unknown) =>
      (await t.request(method, path, body, as(scopes))).status;

    expect(await status('GET', `/contacts/${id}${at}`, [])).toBe(403);
    expect(await status('GET', `/contacts/${id}${at}`, ['read'])).toBe(200);
    expect(await status('POST', '/contacts', ['read'], { email: uniqueEmail() })).toBe(403);
    expect(await status('POST', '/contacts', ['write'], { email: uniqueEmail() })).toBe(201);

    for (const path of [
      `/contacts/${id}/export${at}`,
      `/contacts/${id}/history`,
      `/contacts/${id}/data-keys`,
    ]) {
      expect({ path, status: await status('GET', path, ['write']) }).toEqual({ path, status: 403 });
      expect({ path, status: await status('GET', path, ['pii:read']) }).toEqual({
        path,
        status: 200,
      });
    }
    expect(await status('POST', `/contacts/${id}/erase`, ['write', 'pii:read'])).toBe(403);
    const denied = await t.request('POST', `/contacts/${id}/erase`, undefined, as(['read']));
    expect(denied.body).toMatchObject({
      code: 'insufficient-scope',
      requiredScopes: ['pii:erase'],
    });
    expect(await status('POST', `/contacts/${id}/erase`, ['pii:erase'])).toBe(200);
  });
});

describe('personal data for entitled services', () => {
  const reader = (scopes: string[], name = 'messaging') =>
    new ContactPersonalData({
      contactsUrl: t.url,
      identity: new ServiceIdentity(name, scopes, t.runtime.config.serviceTokenKey),
    });

  it('decrypts contacts events with keys handed out under pii:read, audited, until erasure', async () => {
    const email = uniqueEmail('entitled');
    const created = await t.request('POST', '/contacts', {
      email,
      firstName: 'Ada',
      phone: '+14155550100',
    });
    const id = created.body.id as string;
    const [stored] = await t.runtime.eventStore.readStream(`contact-${id}`, { maxCount: 1 });
    expect(JSON.stringify(stored!.data)).not.toContain(email);

    const entitled = reader(['pii:read']);
    const clear = await entitled.decrypt(stored!);
    expect(clear.data).toMatchObject({ email, firstName: 'Ada', phone: '+14155550100' });

    // A service without the scope gets nothing readable.
    await expect(reader(['read'], 'curious').decrypt(stored!)).rejects.toThrow(/403/);

    const handOuts = await t.query<{ caller: string; outcome: string }>(
      `SELECT caller, outcome FROM "${t.schema}".data_key_hand_outs WHERE contact_id = $1 ORDER BY handed_out_at`,
      [id],
    );
    expect(handOuts).toEqual([{ caller: 'service:messaging', outcome: 'handed_out' }]);

    expect((await t.request('POST', `/contacts/${id}/erase`)).status).toBe(200);
    // A reader that never saw the keys can no longer decrypt: a typed "erased", not a failure.
    const late = reader(['pii:read'], 'connector-hubspot');
    await expect(late.decrypt(stored!)).rejects.toBeInstanceOf(ContactErasedError);
    const keys = await t.request('GET', `/contacts/${id}/data-keys`);
    expect(keys).toMatchObject({ status: 410, body: { code: 'contact-erased' } });
  });

  it("hands out many contacts' keys in one request, each audited, and readers preload them", async () => {
    const ids: string[] = [];
    const firsts = [];
    for (const name of ['Ann', 'Bo', 'Cy']) {
      const created = await t.request('POST', '/contacts', {
        email: uniqueEmail(`many-${name}`),
        firstName: name,
      });
      ids.push(created.body.id as string);
      firsts.push((await t.runtime.eventStore.readStream(`contact-${created.body.id}`))[0]!);
    }
    expect((await t.request('POST', `/contacts/${ids[2]}/erase`)).status).toBe(200);
    const unknown = '00000000-0000-4000-8000-000000000000';
    const as = (scopes: string[]) => ({ authorization: t.tokenFor({ scopes }) });

    const answer = await t.request(
      'POST',
      '/contacts/data-keys',
      { contactIds: [...ids, unknown] },
      as(['pii:read']),
    );
    expect(answer.status).toBe(200);
    expect(answer.body.items).toEqual([
      expect.objectContaining({
        contactId: ids[0],
        state: 'active',
        currentKeyId: expect.any(String),
      }),
      expect.objectContaining({ contactId: ids[1], state: 'active' }),
      { contactId: ids[2], state: 'erased' },
      { contactId: unknown, state: 'none' },
    ]);
    const audited = await t.query<{ contact_id: string; outcome: string }>(
      `SELECT contact_id, outcome FROM "${t.schema}".data_key_hand_outs WHERE contact_id = ANY($1::uuid[])`,
      [[...ids, unknown]],
    );
    expect(audited).toHaveLength(4);
    expect(audited).toEqual(
      expect.arrayContaining([
        { contact_id: ids[0], outcome: 'handed_out' },
        { contact_id: ids[1], outcome: 'handed_out' },
        { contact_id: ids[2], outcome: 'erased' },
        { contact_id: unknown, outcome: 'none' },
      ]),
    );

    expect(
      (await t.request('POST', '/contacts/data-keys', { contactIds: ids }, as(['read']))).status,
    ).toBe(403);
    for (const contactIds of [[], ['not-a-uuid'], Array.from({ length: 501 }, () => unknown)]) {
      const refused = await t.request(
        'POST',
        '/contacts/data-keys',
        { contactIds },
        as(['pii:read']),
      );
      expect(refused.status).toBe(422);
    }

    // A reader that preloads asks once for all, then decrypts without asking again.
    const entitled = reader(['pii:read'], 'campaigns');
    await entitled.preload(ids);
    expect((await entitled.decrypt(firsts[0]!)).data).toMatchObject({ firstName: 'Ann' });
    expect((await entitled.decrypt(firsts[1]!)).data).toMatchObject({ firstName: 'Bo' });
    await expect(entitled.decrypt(firsts[2]!)).rejects.toBeInstanceOf(ContactErasedError);
    const asked = await t.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${t.schema}".data_key_hand_outs WHERE caller = 'service:campaigns'`,
    );
    expect(asked).toEqual([{ n: 3 }]);
  });

  it('leaves events without personal fields, and other streams, as they are', async () => {
    const event = { streamId: 'tag-1', type: 'TagCreated', data: { name: 'x' } };
    expect(await reader(['pii:read']).decrypt(event)).toBe(event);
  });
});
