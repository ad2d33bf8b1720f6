import { createHmac } from 'node:crypto';
import { parseSearch, search } from './search';
import { Contact } from './store';
import { signV3 } from './webhooks';

function contact(id: string, properties: Record<string, string>): Contact {
  return { id, properties: { hs_object_id: id, ...properties }, history: {}, createdAt: '', updatedAt: '', archived: false };
}

describe('search', () => {
  const contacts = [
    contact('1', { email: 'a@example.com', lastmodifieddate: '2026-01-01T00:00:00.000Z' }),
    contact('2', { email: 'b@example.com', lastmodifieddate: '2026-02-01T00:00:00.000Z' }),
    contact('3', { email: 'c@other.org', lastmodifieddate: '2026-03-01T00:00:00.000Z' }),
  ];
  const known = () => true;

  it('ORs filter groups, ANDs filters, compares dates as instants and pages by offset', () => {
    const req = parseSearch(
      {
        filterGroups: [
          { filters: [{ propertyName: 'lastmodifieddate', operator: 'GTE', value: String(Date.parse('2026-02-01T00:00:00Z')) }] },
          { filters: [{ propertyName: 'email', operator: 'EQ', value: 'A@EXAMPLE.COM' }] },
        ],
        limit: 2,
      },
      known,
    );
    if (typeof req === 'string') throw new Error(req);
    const first = search(contacts, req);
    expect(first.total).toBe(3);
    expect(first.page.map((c) => c.id)).toEqual(['1', '2']);
    expect(first.nextAfter).toBe(2);
    expect(search(contacts, { ...req, after: 2 }).page.map((c) => c.id)).toEqual(['3']);
  });

  it('refuses what HubSpot refuses', () => {
    expect(parseSearch({ limit: 201 }, known)).toContain('limit');
    expect(parseSearch({ filterGroups: Array.from({ length: 6 }, () => ({ filters: [] })) }, known)).toContain('filter groups');
    expect(parseSearch({ limit: 100, after: 9950 }, known)).toContain('10000');
    expect(parseSearch({ filterGroups: [{ filters: [{ propertyName: 'x', operator: 'EQ', value: '1' }] }] }, () => false)).toContain('does not exist');
  });
});

describe('signV3', () => {
  it('signs method + URI (with the listed characters decoded) + body + timestamp', () => {
    const expected = createHmac('sha256', 's').update('POSThttps://h.example/a?b=c@d:e[]1', 'utf8').digest('base64');
    expect(signV3('s', 'POST', 'https://h.example/a?b=c%40d%3Ae', '[]', '1')).toBe(expected);
  });
});
