import { mapContactFields, type ContactSnapshot, type MappingInput } from './field-mapping';

const contact: ContactSnapshot = {
  email: 'user@example.com',
  firstName: 'Austin',
  lastName: 'Mao',
  phone: null,
  lifecycleStage: 'mql',
  leadScore: 12,
  properties: { company: 'Ceremonia', job_title: 'Founder', industry: 'SaaS', shoe_size: '44' },
};

const hubspot: MappingInput = {
  provider: 'hubspot',
  contact,
  integrationMappings: {},
  propertyMappings: {},
  providerDefaults: {
    email: 'email',
    first_name: 'firstname',
    last_name: 'lastname',
    phone: 'phone',
    lifecycle_stage: 'lifecyclestage',
    company: 'company',
    job_title: 'jobtitle',
    industry: 'industry',
  },
  lifecycleStages: { mql: 'marketingqualifiedlead' },
};

describe('mapContactFields', () => {
  it('maps standard fields and known properties by the provider defaults; skips the rest', () => {
    expect(mapContactFields(hubspot)).toEqual({
      fields: {
        email: 'user@example.com',
        firstname: 'Austin',
        lastname: 'Mao',
        lifecyclestage: 'marketingqualifiedlead',
        company: 'Ceremonia',
        industry: 'SaaS',
        jobtitle: 'Founder',
      },
      skipped: ['lead_score', 'shoe_size'],
    });
  });

  it("prefers the integration's field_mappings, then the property's crm_field_mappings", () => {
    const mapped = mapContactFields({
      ...hubspot,
      integrationMappings: {
        company: { hubspot: 'company_name', gohighlevel: 'custom_company' },
        lead_score: { hubspot: 'hs_lead_score' },
      },
      propertyMappings: { shoe_size: { hubspot: 'shoe_size_eu' }, industry: { hubspot: 'sector' } },
    });
    expect(mapped.fields).toMatchObject({ company_name: 'Ceremonia', hs_lead_score: '12', shoe_size_eu: '44', sector: 'SaaS' });
    expect(mapped.fields).not.toHaveProperty('company');
    expect(mapped.skipped).toEqual([]);
  });

  it('ignores mappings for another provider', () => {
    const mapped = mapContactFields({
      ...hubspot,
      provider: 'gohighlevel',
      providerDefaults: { email: 'email' },
      integrationMappings: { company: { hubspot: 'company' } },
    });
    expect(mapped.fields).toEqual({ email: 'user@example.com' });
    expect(mapped.skipped).toContain('company');
  });
});
