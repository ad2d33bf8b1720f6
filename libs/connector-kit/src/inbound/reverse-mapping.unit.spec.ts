import { reverseFieldMap, toContactChanges } from './reverse-mapping';

describe('reverse field mapping', () => {
  const defaults = { email: 'email', first_name: 'firstname', phone: 'phone', lifecycle_stage: 'lifecyclestage', company: 'company', lead_score: 'hs_score' };
  const reverse = reverseFieldMap('hubspot', { company: { hubspot: 'company_name', gohighlevel: 'x' } }, defaults);

  it('reads the integration mappings before the provider defaults', () => {
    expect(reverse.company_name).toBe('company');
    expect(reverse.firstname).toBe('first_name');
  });

  it('turns the CRM fields into identity fields, a stage and properties; unknown ones and lead scores are ignored', () => {
    const changes = toContactChanges(
      { email: 'a@x.io', firstname: null, lifecyclestage: 'marketingqualifiedlead', company_name: 'Acme', hs_score: '9', favourite: 'tea' },
      reverse,
      { mql: 'marketingqualifiedlead' },
    );
    expect(changes).toEqual({
      email: 'a@x.io',
      firstName: null,
      lifecycleStage: 'mql',
      properties: { company: 'Acme' },
      ignored: ['hs_score', 'favourite'],
    });
  });
});
