// /tags end to end: CRUD, unique names and slugs enforced at write time
// (also under concurrent creates), system tags that cannot be deleted, and
// the tags contact requests create on the way.
import { startTestApp, uniqueEmail, type TestApp } from '../shared/test-app.testing';

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

const unique = (name: string) => `${name} ${Math.random().toString(36).slice(2, 8)}`;

describe('tags', () => {
  it('create, read by id and by slug, update, delete', async () => {
    const name = unique('Hot Lead');
    const created = await t.request('POST', '/tags', { name, color: '#F80', category: 'behavior' });
    expect(created.status).toBe(201);
    const slug = name.toLowerCase().replace(/ /g, '-');
    const byId = await t.request(
      'GET',
      `/tags/${created.body.id}?waitForPosition=${created.body.position}`,
    );
    expect(byId.body).toMatchObject({
      name,
      slug,
      color: '#ff8800',
      category: 'behavior',
      isSystem: false,
    });
    expect((await t.request('GET', `/tags/${slug}`)).body.id).toBe(created.body.id);

    const renamed = await t.request('PATCH', `/tags/${created.body.id}`, {
      name: `${name} 2`,
      description: 'Ready to buy',
    });
    expect(renamed.status).toBe(200);
    const read = await t.request(
      'GET',
      `/tags/${created.body.id}?waitForPosition=${renamed.body.position}`,
    );
    expect(read.body).toMatchObject({ name: `${name} 2`, slug, description: 'Ready to buy' });

    const mapped = await t.request('PUT', `/tags/${created.body.id}/crm-mappings/hubspot`, {
      mappingType: 'list',
      externalId: '123',
    });
    expect(mapped.status).toBe(200);
    const withMapping = await t.request(
      'GET',
      `/tags/${created.body.id}?waitForPosition=${mapped.body.position}`,
    );
    expect(withMapping.body.crmTagMappings).toEqual({ hubspot: { type: 'list', id: '123' } });

    const deleted = await t.request('DELETE', `/tags/${created.body.id}`);
    expect(deleted.status).toBe(200);
    expect(
      (await t.request('GET', `/tags/${created.body.id}?waitForPosition=${deleted.body.position}`))
        .status,
    ).toBe(404);
    // Its name and slug are free again.
    expect((await t.request('POST', '/tags', { name })).status).toBe(201);
  });

  it('keeps names (regardless of case) and slugs unique', async () => {
    const name = unique('Webinar');
    const first = await t.request('POST', '/tags', { name });
    const sameSlug = await t.request('POST', '/tags', { name: `${name}!` });
    expect(sameSlug.status).toBe(409);
    expect(sameSlug.body).toMatchObject({
      code: 'tag-slug-taken',
      details: { tagId: first.body.id },
    });
    const sameName = await t.request('POST', '/tags', {
      name: name.toUpperCase(),
      slug: 'another-slug-x1',
    });
    expect(sameName.status).toBe(409);
    expect(sameName.body.code).toBe('tag-name-taken');
    // The refused create left nothing reserved: its slug is still free.
    expect(
      (await t.request('POST', '/tags', { name: unique('Other'), slug: 'another-slug-x1' })).status,
    ).toBe(201);
    const other = await t.request('POST', '/tags', { name: unique('Second') });
    const firstSlug = name.toLowerCase().replace(/ /g, '-');
    const clash = await t.request('PATCH', `/tags/${other.body.id}`, { slug: firstSlug });
    expect(clash.status).toBe(409);
  });

  it('refuses to delete a system tag', async () => {
    const created = await t.request('POST', '/tags', { name: unique('System'), isSystem: true });
    const response = await t.request('DELETE', `/tags/${created.body.id}`);
    expect(response.status).toBe(422);
    expect(response.body.code).toBe('system-tag');
  });

  it('20 concurrent creates of one tag make one tag', async () => {
    const name = unique('Race Tag');
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => t.request('POST', '/tags', { name })),
    );
    expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 409)).toHaveLength(19);
  });

  it('one Idempotency-Key creates one tag: a retry answers with the first result', async () => {
    const name = unique('Keyed Tag');
    const key = { 'idempotency-key': `tag-${name}` };
    const first = await t.request('POST', '/tags', { name }, key);
    const retry = await t.request('POST', '/tags', { name }, key);
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(first.body);
    // A contact created with two new tags under one key gets two tags.
    const tags = [unique('Keyed A'), unique('Keyed B')];
    const contactKey = { 'idempotency-key': `contact-${name}` };
    const body = { email: uniqueEmail('keyed'), tags };
    const contact = await t.request('POST', '/contacts', body, contactKey);
    const again = await t.request('POST', '/contacts', body, contactKey);
    expect(contact.status).toBe(201);
    expect(again.body).toEqual(contact.body);
    const created = (await t.storedEvents('tag-')).filter(
      (e) => e.event_type === 'TagCreated' && tags.includes(String(e.data.name)),
    );
    expect(new Set(created.map((e) => e.stream_id)).size).toBe(2);
  });

  it('contacts created at once with the same new tag share one tag', async () => {
    const tag = unique('Shared New');
    const responses = await Promise.all(
      Array.from({ length: 10 }, () =>
        t.request('POST', '/contacts', { email: uniqueEmail('shared'), tags: [tag] }),
      ),
    );
    expect(responses.every((r) => r.status === 201)).toBe(true);
    const created = (await t.storedEvents('tag-')).filter(
      (e) => e.event_type === 'TagCreated' && e.data.name === tag,
    );
    expect(created).toHaveLength(1);
  });
});
