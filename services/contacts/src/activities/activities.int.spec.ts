// POST /activities: the seed's example as written, scored by the lead
// scoring rules; the score on the contact is the sum of its activities'
// points; an activity id makes recording idempotent.
import { randomUUID } from 'node:crypto';
import { startTestApp, uniqueEmail, type TestApp } from '../shared/test-app.testing';

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({
    leadScoringRules: JSON.stringify({
      points: { page_viewed: 2, form_submitted: 10, email_bounced: -5 },
    }),
  });
});
afterAll(async () => {
  await t?.close();
});

async function newContact(): Promise<string> {
  const response = await t.request('POST', '/contacts', { email: uniqueEmail() });
  return response.body.id;
}

describe('activities', () => {
  it("takes the seed's example exactly as written", async () => {
    const contactId = await newContact();
    const body = {
      contactId,
      activityType: 'page_viewed',
      activityData: {
        url: '/landing/webinar',
        title: 'How to Build AI Funnels',
        durationSeconds: 45,
      },
      syncToCrms: ['hubspot'],
    };
    const response = await t.request('POST', '/activities', body);
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      id: expect.any(String),
      position: expect.any(String),
      revision: 2,
    });

    const timeline = await t.request(
      'GET',
      `/contacts/${contactId}/activities?waitForPosition=${response.body.position}`,
    );
    expect(timeline.body.items[0]).toMatchObject({
      id: response.body.id,
      activityType: 'page_viewed',
      activityData: body.activityData,
      source: 'api',
    });
    const recorded = (await t.storedEvents(`contact-${contactId}`)).find(
      (e) => e.event_type === 'ActivityRecorded',
    );
    expect(recorded?.data).toMatchObject({ syncToCrms: ['hubspot'], points: 2 });
  });

  it('scores the contact with the sum of its activities, and ignores a repeated activity id', async () => {
    const contactId = await newContact();
    const activityId = randomUUID();
    const record = (activityType: string, id: string = randomUUID()) =>
      t.request('POST', '/activities', {
        contactId,
        activityType,
        activityData: {},
        activityId: id,
      });
    await record('page_viewed');
    await record('form_submitted', activityId);
    await record('form_submitted', activityId);
    await record('email_bounced');
    const last = await record('note_added');
    const contact = await t.request(
      'GET',
      `/contacts/${contactId}?waitForPosition=${last.body.position}`,
    );
    expect(contact.body.leadScore).toBe(2 + 10 - 5);
    expect(contact.body.lastActivityAt).not.toBeNull();
    const timeline = await t.request(
      'GET',
      `/contacts/${contactId}/activities?activityType=form_submitted`,
    );
    expect(timeline.body.items).toHaveLength(1);
  });

  it('answers 404 for an unknown contact and 422 for an unknown type', async () => {
    const unknown = await t.request('POST', '/activities', {
      contactId: randomUUID(),
      activityType: 'page_viewed',
      activityData: {},
    });
    expect(unknown.status).toBe(404);
    const badType = await t.request('POST', '/activities', {
      contactId: randomUUID(),
      activityType: 'page_visited',
      activityData: {},
    });
    expect(badType.status).toBe(422);
    expect(badType.body.errors[0].field).toBe('activityType');
  });
});
