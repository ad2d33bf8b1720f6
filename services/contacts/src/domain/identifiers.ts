// The shapes of the ids and keys commands carry. Ids are generated at the
// edge (so decide stays pure and a retried command carries the same ids);
// the decider only checks that they are well-formed.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** hubspot, gohighlevel, salesforce, activecampaign...: lower-case, like the seed's integrations.provider. */
const PROVIDER_KEY = /^[a-z][a-z0-9_]{1,49}$/;
/** Custom property keys: company, job_title, Company__c. */
const PROPERTY_NAME = /^[A-Za-z][A-Za-z0-9_]{0,99}$/;
/** activities.related_to_type: registration, message, event, campaign, tag... */
const RELATED_TO_TYPE = /^[a-z][a-z_]{0,49}$/;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export function isProviderKey(value: string): boolean {
  return PROVIDER_KEY.test(value);
}

export function isPropertyName(value: string): boolean {
  return PROPERTY_NAME.test(value);
}

export function isRelatedToType(value: string): boolean {
  return RELATED_TO_TYPE.test(value);
}
