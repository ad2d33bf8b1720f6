import { isPropertyName, isProviderKey, isRelatedToType, isUuid } from './identifiers';

describe('identifiers', () => {
  it('knows a UUID', () => {
    expect(isUuid('0b7e9c52-6f1d-4c1e-9a53-3f0d2b1c4a10')).toBe(true);
    expect(isUuid('0B7E9C52-6F1D-4C1E-9A53-3F0D2B1C4A10')).toBe(true);
    expect(isUuid('0b7e9c52-6f1d-4c1e-9a53-3f0d2b1c4a1')).toBe(false);
    expect(isUuid('not-a-uuid')).toBe(false);
  });

  it('knows a provider key', () => {
    expect(isProviderKey('hubspot')).toBe(true);
    expect(isProviderKey('active_campaign2')).toBe(true);
    expect(isProviderKey('HubSpot')).toBe(false);
    expect(isProviderKey('h')).toBe(false);
    expect(isProviderKey('hub spot')).toBe(false);
  });

  it('knows a property name', () => {
    expect(isPropertyName('company')).toBe(true);
    expect(isPropertyName('job_title')).toBe(true);
    expect(isPropertyName('Company__c')).toBe(true);
    expect(isPropertyName('1st_name')).toBe(false);
    expect(isPropertyName('job title')).toBe(false);
    expect(isPropertyName('__proto__')).toBe(false);
    expect(isPropertyName('a'.repeat(101))).toBe(false);
  });

  it('knows a related-to type', () => {
    expect(isRelatedToType('registration')).toBe(true);
    expect(isRelatedToType('sent_message')).toBe(true);
    expect(isRelatedToType('Registration')).toBe(false);
    expect(isRelatedToType('')).toBe(false);
  });
});
