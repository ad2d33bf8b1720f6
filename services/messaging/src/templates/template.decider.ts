// A message template's stream (`template-<uuid>`): created with every seed
// field, revised in place while its version has never been used, revised
// into a new version once a message used it (sent messages keep the id and
// version they used). Validation of Liquid and declared variables happens
// here, at save time, so a bad template never reaches a send.
import type {
  TemplateCreated,
  TemplateEvent,
  TemplateFields,
  TemplateRevised,
} from '@engagement/contracts';
import { CONTENT_SOURCES, isOneOf, MESSAGE_CHANNELS } from '@engagement/contracts';
import {
  ConflictError,
  NotFoundError,
  RuleViolationError,
  type Decider,
} from '@engagement/decider';
import { checkTemplateParts, declaredVariableNames, BUILT_IN_ROOTS } from './template-rendering';

export type TemplateState =
  | { exists: false }
  | {
      exists: true;
      templateId: string;
      fields: TemplateFields;
      version: number;
      usedVersions: number[];
    };

export type TemplateCommand =
  | { type: 'CreateTemplate'; templateId: string; fields: TemplateFields }
  | { type: 'ReviseTemplate'; templateId: string; changes: Partial<TemplateFields> }
  | { type: 'UseTemplateVersion'; templateId: string; version: number };

const SLUG = /^[a-z0-9]+(?:[-_][a-z0-9]+)*$/;

/** The template's rules, on the full set of fields after a create or a revision. */
export function checkTemplateFields(fields: TemplateFields): void {
  if (!SLUG.test(fields.slug)) {
    throw new RuleViolationError(
      'slug must be lower-case letters, digits, - or _',
      'invalid-slug',
      {
        field: 'slug',
      },
    );
  }
  if (fields.name.trim() === '')
    throw new RuleViolationError('name is required', 'invalid-name', { field: 'name' });
  if (!isOneOf(MESSAGE_CHANNELS, fields.channel)) {
    throw new RuleViolationError(`unknown channel ${String(fields.channel)}`, 'unknown-channel', {
      field: 'channel',
      allowed: MESSAGE_CHANNELS,
    });
  }
  if (!isOneOf(CONTENT_SOURCES, fields.contentSource)) {
    throw new RuleViolationError(
      `unknown content source ${String(fields.contentSource)}`,
      'unknown-content-source',
      {
        field: 'contentSource',
        allowed: CONTENT_SOURCES,
      },
    );
  }
  if (fields.contentSource === 'external_api' && !fields.contentApiUrl) {
    throw new RuleViolationError(
      'external_api content needs contentApiUrl',
      'missing-content-api-url',
      {
        field: 'contentApiUrl',
      },
    );
  }
  if (fields.isVariant && (!fields.parentTemplateId || !fields.variantName)) {
    throw new RuleViolationError(
      'a variant needs parentTemplateId and variantName',
      'invalid-variant',
      {
        field: 'parentTemplateId',
      },
    );
  }
  const declared = declaredVariableNames(fields.variables);
  const known = new Set<string>([...declared, ...BUILT_IN_ROOTS]);
  const undeclaredRequired = (fields.requiredVariables ?? []).filter(
    (name) => !known.has(name.split('.')[0]),
  );
  if (undeclaredRequired.length > 0) {
    throw new RuleViolationError(
      `required variables not declared: ${undeclaredRequired.join(', ')}`,
      'undeclared-required-variables',
      { field: 'requiredVariables', variables: undeclaredRequired },
    );
  }
  const problems = checkTemplateParts(
    {
      subjectTemplate: fields.subjectTemplate,
      preheaderTemplate: fields.preheaderTemplate,
      html: fields.cachedContentHtml,
      text: fields.cachedContentText,
    },
    declared,
  );
  if (problems.length > 0) {
    throw new RuleViolationError(
      problems.map((p) => `${p.part}: ${p.problem}`).join('; '),
      'invalid-template',
      { problems },
    );
  }
}

export const templateDecider: Decider<TemplateCommand, TemplateEvent, TemplateState> = {
  initialState: () => ({ exists: false }),

  evolve(state, event) {
    switch (event.type) {
      case 'TemplateCreated': {
        const { templateId, version, ...fields } = event.data;
        return { exists: true, templateId, fields, version, usedVersions: [] };
      }
      case 'TemplateRevised': {
        if (!state.exists) return state;
        const { version, ...changes } = event.data;
        delete (changes as { templateId?: string }).templateId;
        return { ...state, fields: { ...state.fields, ...changes }, version };
      }
      case 'TemplateVersionUsed':
        if (!state.exists) return state;
        return { ...state, usedVersions: [...state.usedVersions, event.data.version] };
      case 'TemplateContentFetched':
        if (!state.exists) return state;
        return {
          ...state,
          fields: {
            ...state.fields,
            cachedContentHtml: event.data.html,
            cachedContentText: event.data.text,
          },
        };
      default:
        return state;
    }
  },

  decide(command, state) {
    switch (command.type) {
      case 'CreateTemplate': {
        if (state.exists) {
          // A retried create with the same fields changes nothing.
          if (sameFields(state.fields, command.fields)) return [];
          throw new ConflictError('template already exists', 'template-exists', {
            id: command.templateId,
          });
        }
        checkTemplateFields(command.fields);
        const created: TemplateCreated = {
          type: 'TemplateCreated',
          data: { templateId: command.templateId, version: 1, ...command.fields },
        };
        return [created];
      }
      case 'ReviseTemplate': {
        if (!state.exists) throw new NotFoundError('template not found', 'template-not-found');
        if (command.changes.slug !== undefined && command.changes.slug !== state.fields.slug) {
          throw new RuleViolationError('a template keeps its slug', 'slug-immutable', {
            field: 'slug',
          });
        }
        const changed = changedFields(state.fields, command.changes);
        if (Object.keys(changed).length === 0) return [];
        checkTemplateFields({ ...state.fields, ...changed });
        const version = state.usedVersions.includes(state.version)
          ? state.version + 1
          : state.version;
        const revised: TemplateRevised = {
          type: 'TemplateRevised',
          data: { templateId: state.templateId, version, ...changed },
        };
        return [revised];
      }
      case 'UseTemplateVersion': {
        if (!state.exists) throw new NotFoundError('template not found', 'template-not-found');
        if (state.usedVersions.includes(command.version)) return [];
        return [
          {
            type: 'TemplateVersionUsed',
            data: { templateId: state.templateId, version: command.version },
          },
        ];
      }
    }
  },
};

function changedFields(
  current: TemplateFields,
  changes: Partial<TemplateFields>,
): Partial<TemplateFields> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) continue;
    if (JSON.stringify(current[key as keyof TemplateFields]) !== JSON.stringify(value))
      out[key] = value;
  }
  return out as Partial<TemplateFields>;
}

function sameFields(a: TemplateFields, b: TemplateFields): boolean {
  return Object.keys(changedFields(a, b)).length === 0;
}
