import type { Request } from 'express';
import { ProblemError, setVerifiedCaller } from '@engagement/http';
import { nextEventIds } from '@engagement/decider';
import { commandContext } from './command-context';

const request = (method: string, headers: Record<string, string>, path = '/activities') =>
  ({ method, path, headers }) as unknown as Request;

describe('commandContext and the Idempotency-Key', () => {
  it('takes the key, scoped to the verified caller, method and path', () => {
    const from = (subject: string, path = '/activities') => {
      const r = request('POST', { 'idempotency-key': 'k-1' }, path);
      setVerifiedCaller(r, { subject, actor: subject, scopes: ['write'], requestId: 'r' });
      return nextEventIds(commandContext(r), 'contact-1', 1)[0];
    };
    expect(from('apikey:a')).toBe(from('apikey:a'));
    expect(from('apikey:a')).not.toBe(from('apikey:b'));
    expect(from('apikey:a')).not.toBe(from('apikey:a', '/contacts'));
  });

  it('shares one count of appended events among the contexts of one request', () => {
    const r = request('POST', { 'idempotency-key': 'k-2' });
    expect(commandContext(r).idempotency).toBe(commandContext(r).idempotency);
  });

  it('has no key without the header or on a GET, and refuses a malformed one with a 400', () => {
    expect(commandContext(request('POST', {})).idempotency).toBeNull();
    expect(commandContext(request('GET', { 'idempotency-key': 'k' })).idempotency).toBeNull();
    let thrown: unknown;
    try {
      commandContext(request('POST', { 'idempotency-key': 'k'.repeat(256) }));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ProblemError);
    expect((thrown as ProblemError).problem).toMatchObject({ status: 400 });
  });
});
