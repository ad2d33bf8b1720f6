import { parseRequestPath } from '../http/request-path';
import { resolveRoute, takesLargeBody } from './routes';

const resolve = (path: string) => resolveRoute(parseRequestPath(path));

describe('routing table', () => {
  it('moves /api/<resource> to the upstream resource, keeping the rest as sent', () => {
    expect(resolve('/api/contacts')).toEqual({ upstream: 'contacts', upstreamPath: '/contacts' });
    expect(resolve('/api/contacts/a%20b/tags/')).toEqual({
      upstream: 'contacts',
      upstreamPath: '/contacts/a%20b/tags',
    });
    expect(resolve('/api/tags/t1')?.upstreamPath).toBe('/tags/t1');
    expect(resolve('/api/activities')?.upstreamPath).toBe('/activities');
    expect(resolve('/api/registrations')).toEqual({
      upstream: 'events',
      upstreamPath: '/registrations',
    });
    expect(resolve('/api/events/e1/schedule')).toEqual({
      upstream: 'events',
      upstreamPath: '/events/e1/schedule',
    });
  });

  it('sends templates, messages, campaigns, tracking links and Twilio callbacks to messaging', () => {
    expect(resolve('/api/templates/t1')).toEqual({
      upstream: 'messaging',
      upstreamPath: '/templates/t1',
    });
    expect(resolve('/api/messages')).toEqual({ upstream: 'messaging', upstreamPath: '/messages' });
    expect(resolve('/api/campaigns/c1/send')).toEqual({
      upstream: 'messaging',
      upstreamPath: '/campaigns/c1/send',
    });
    expect(resolve('/api/track/open/tok.en')).toEqual({
      upstream: 'messaging',
      upstreamPath: '/track/open/tok.en',
    });
    expect(resolve('/api/webhooks/twilio/status')).toEqual({
      upstream: 'messaging',
      upstreamPath: '/webhooks/twilio/status',
    });
    expect(resolve('/api/webhooks/hubspot')).toEqual({
      upstream: 'connector-hubspot',
      upstreamPath: '/webhooks/hubspot',
    });
    expect(resolve('/api/webhooks/gohighlevel')).toEqual({
      upstream: 'connector-gohighlevel',
      upstreamPath: '/webhooks/gohighlevel',
    });
    expect(resolve('/api/webhooks/zoom')).toBeNull();
  });

  it('knows nothing else', () => {
    expect(resolve('/api/contactsx')).toBeNull();
    expect(resolve('/api/registrationsx')).toBeNull();
    expect(resolve('/api')).toBeNull();
  });

  it('lets only imports carry large bodies', () => {
    expect(takesLargeBody('POST', parseRequestPath('/api/contacts/imports'))).toBe(true);
    expect(takesLargeBody('POST', parseRequestPath('/api/contacts'))).toBe(false);
    expect(takesLargeBody('GET', parseRequestPath('/api/contacts/imports'))).toBe(false);
  });
});
