import {
  ACTIVITY_TYPES,
  CONSENT_CHANNELS,
  CONTACT_STATUSES,
  LIFECYCLE_STAGES,
  isOneOf,
} from './enumerations';
import { PERSONAL_DATA_FIELDS, personalDataFieldsOf } from './personal-data';

describe('enumerations', () => {
  it('holds the seed values', () => {
    expect(LIFECYCLE_STAGES).toHaveLength(8);
    expect(CONTACT_STATUSES).toEqual(['active', 'unsubscribed', 'bounced', 'deleted']);
    expect(CONSENT_CHANNELS).toEqual(['email', 'sms', 'whatsapp', 'marketing', 'analytics']);
    expect(ACTIVITY_TYPES).toHaveLength(21);
    expect(new Set(ACTIVITY_TYPES).size).toBe(ACTIVITY_TYPES.length);
  });

  it('checks unknown input against a list', () => {
    expect(isOneOf(LIFECYCLE_STAGES, 'mql')).toBe(true);
    expect(isOneOf(LIFECYCLE_STAGES, 'MQL')).toBe(false);
    expect(isOneOf(LIFECYCLE_STAGES, 3)).toBe(false);
    expect(isOneOf(LIFECYCLE_STAGES, undefined)).toBe(false);
  });
});

describe('personal data fields', () => {
  it('marks identity, property values, IPs and activity data as personal', () => {
    expect(personalDataFieldsOf('ContactCreated')).toEqual([
      'email',
      'firstName',
      'lastName',
      'phone',
      'avatarUrl',
    ]);
    expect(personalDataFieldsOf('ContactPropertySet')).toEqual(['value']);
    expect(personalDataFieldsOf('ActivityRecorded')).toEqual(['activityData']);
    expect(personalDataFieldsOf('ContactLifecycleStageChanged')).toEqual([]);
    expect(personalDataFieldsOf('ActivitySyncedToCrm')).toEqual(['externalId']);
    expect(Object.keys(PERSONAL_DATA_FIELDS)).toHaveLength(18);
  });
});
