import type { TemplateEvent, TemplateFields } from '@engagement/contracts';
import { ConflictError, given, NotFoundError, RuleViolationError } from '@engagement/decider';
import { templateDecider } from './template.decider';

const templateId = 'e0000000-0000-4000-8000-000000000001';
const fields: TemplateFields = {
  slug: 'webinar-reminder',
  name: 'Webinar reminder',
  description: null,
  channel: 'email',
  subjectTemplate: '{{ event.title }} starts soon',
  preheaderTemplate: null,
  contentSource: 'manual',
  contentApiUrl: null,
  cachedContentHtml: '<p>Hi {{ contact.first_name }}, join at {{ join_url }}</p>',
  cachedContentText: 'Hi {{ contact.first_name }}, join at {{ join_url }}',
  variables: { join_url: { type: 'string' } },
  requiredVariables: ['join_url'],
  generationPrompt: null,
  brandContext: null,
  isVariant: false,
  parentTemplateId: null,
  variantName: null,
  syncToCrm: false,
  crmTemplateMappings: null,
  isActive: true,
};
const created: TemplateEvent = {
  type: 'TemplateCreated',
  data: { templateId, version: 1, ...fields },
};

describe('template decider', () => {
  it('creates a template at version 1 with every field', () => {
    given(templateDecider, []).when({ type: 'CreateTemplate', templateId, fields }).then([created]);
  });

  it('treats a repeated identical create as done, a different one as a conflict', () => {
    given(templateDecider, [created]).when({ type: 'CreateTemplate', templateId, fields }).then([]);
    given(templateDecider, [created])
      .when({ type: 'CreateTemplate', templateId, fields: { ...fields, name: 'Other' } })
      .thenThrows(ConflictError);
  });

  it('refuses an unknown channel, invalid Liquid and an undeclared variable at save time', () => {
    given(templateDecider, [])
      .when({ type: 'CreateTemplate', templateId, fields: { ...fields, channel: 'fax' as never } })
      .thenThrows(RuleViolationError, { code: 'unknown-channel' });
    given(templateDecider, [])
      .when({
        type: 'CreateTemplate',
        templateId,
        fields: { ...fields, cachedContentText: '{% if %}' },
      })
      .thenThrows(RuleViolationError, { code: 'invalid-template' });
    given(templateDecider, [])
      .when({
        type: 'CreateTemplate',
        templateId,
        fields: { ...fields, cachedContentHtml: '{{ coupon }}' },
      })
      .thenThrows(RuleViolationError, {
        code: 'invalid-template',
        message: 'html: unknown variable "coupon"',
      });
    given(templateDecider, [])
      .when({
        type: 'CreateTemplate',
        templateId,
        fields: { ...fields, requiredVariables: ['coupon'] },
      })
      .thenThrows(RuleViolationError, { code: 'undeclared-required-variables' });
  });

  it('revises an unused version in place', () => {
    given(templateDecider, [created])
      .when({ type: 'ReviseTemplate', templateId, changes: { name: 'Reminder' } })
      .then([{ type: 'TemplateRevised', data: { templateId, version: 1, name: 'Reminder' } }]);
  });

  it('revises a used version into a new version, and records a use once', () => {
    const used: TemplateEvent = { type: 'TemplateVersionUsed', data: { templateId, version: 1 } };
    given(templateDecider, [created])
      .when({ type: 'UseTemplateVersion', templateId, version: 1 })
      .then([used]);
    given(templateDecider, [created, used])
      .when({ type: 'UseTemplateVersion', templateId, version: 1 })
      .then([]);
    given(templateDecider, [created, used])
      .when({
        type: 'ReviseTemplate',
        templateId,
        changes: { subjectTemplate: 'Soon: {{ event.title }}' },
      })
      .then([
        {
          type: 'TemplateRevised',
          data: { templateId, version: 2, subjectTemplate: 'Soon: {{ event.title }}' },
        },
      ]);
  });

  it('records nothing for a revision that changes nothing, and keeps the slug', () => {
    given(templateDecider, [created])
      .when({ type: 'ReviseTemplate', templateId, changes: { name: fields.name } })
      .then([]);
    given(templateDecider, [created])
      .when({ type: 'ReviseTemplate', templateId, changes: { slug: 'other' } })
      .thenThrows(RuleViolationError, { code: 'slug-immutable' });
  });

  it('answers not found for a revision of no template', () => {
    given(templateDecider, [])
      .when({ type: 'ReviseTemplate', templateId, changes: { name: 'x' } })
      .thenThrows(NotFoundError);
  });
});
