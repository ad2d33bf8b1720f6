// Rendering message templates with LiquidJS (the Shopify/Customer.io
// convention). Strict both ways: at save time every variable a template
// uses must be a built-in root (contact, event, registration, message,
// links) or declared in the template's `variables`, and every filter must
// exist; at send time a missing required variable refuses the send before
// anything is rendered, and an undefined variable is an error, never a blank.
// HTML bodies escape every output by default; subject and text do not (they
// are not HTML).
import { Liquid, type Template } from 'liquidjs';
import type { JsonObject, JsonValue } from '@engagement/event-store';

/** Roots every template may use without declaring them. */
export const BUILT_IN_ROOTS = ['contact', 'event', 'registration', 'message', 'links'] as const;

const htmlEngine = new Liquid({
  strictVariables: true,
  strictFilters: true,
  outputEscape: 'escape',
});
const textEngine = new Liquid({ strictVariables: true, strictFilters: true });

export type TemplateParts = {
  subjectTemplate: string | null;
  preheaderTemplate: string | null;
  html: string | null;
  text: string | null;
};

export type RenderedMessage = {
  subject: string | null;
  preheader: string | null;
  html: string | null;
  text: string | null;
};

export type TemplateProblem = { part: keyof TemplateParts; problem: string };

/**
 * What is wrong with a template's parts: Liquid that does not parse, an
 * unknown filter, a variable neither built in nor declared. [] when valid.
 */
export function checkTemplateParts(
  parts: TemplateParts,
  declared: readonly string[],
): TemplateProblem[] {
  const known = new Set<string>([...BUILT_IN_ROOTS, ...declared]);
  const problems: TemplateProblem[] = [];
  for (const part of Object.keys(parts) as (keyof TemplateParts)[]) {
    const source = parts[part];
    if (source === null) continue;
    const engine = part === 'html' ? htmlEngine : textEngine;
    let roots: string[];
    try {
      roots = engine.globalVariablesSync(engine.parse(source));
    } catch (error) {
      problems.push({ part, problem: `invalid Liquid: ${firstLine(error)}` });
      continue;
    }
    for (const root of roots) {
      if (!known.has(root)) problems.push({ part, problem: `unknown variable "${root}"` });
    }
  }
  return problems;
}

/** The names a template declares, from its `variables` (an object name → schema, or a list of names). */
export function declaredVariableNames(variables: JsonValue | null): string[] {
  if (variables === null) return [];
  if (Array.isArray(variables)) return variables.filter((v): v is string => typeof v === 'string');
  if (typeof variables === 'object') return Object.keys(variables);
  return [];
}

/**
 * The required variables the context lacks (null, undefined or '' count as
 * missing). A name may be a path: `contact.first_name`.
 */
export function missingRequiredVariables(
  required: readonly string[],
  context: JsonObject,
): string[] {
  return required.filter((name) => {
    let value: JsonValue | undefined = context;
    for (const key of name.split('.')) {
      value =
        value !== null && typeof value === 'object' && !Array.isArray(value)
          ? value[key]
          : undefined;
    }
    return value === undefined || value === null || value === '';
  });
}

// Parsed templates by engine and source: a campaign renders one template for
// thousands of contacts, and parsing is most of the cost of a render. Bounded
// (cleared when full): sources are templates' parts, few at a time.
const PARSED_LIMIT = 500;
const parsed = new Map<Liquid, Map<string, Template[]>>([
  [htmlEngine, new Map()],
  [textEngine, new Map()],
]);

function parse(engine: Liquid, source: string): Template[] {
  const cache = parsed.get(engine)!;
  let templates = cache.get(source);
  if (!templates) {
    templates = engine.parse(source);
    if (cache.size >= PARSED_LIMIT) cache.clear();
    cache.set(source, templates);
  }
  return templates;
}

/** Renders every part; throws TemplateRenderError on an undefined variable. */
export function renderTemplate(parts: TemplateParts, context: JsonObject): RenderedMessage {
  const render = (part: keyof TemplateParts, engine: Liquid): string | null => {
    const source = parts[part];
    if (source === null) return null;
    try {
      return engine.renderSync(parse(engine, source), context) as string;
    } catch (error) {
      throw new TemplateRenderError(part, firstLine(error));
    }
  };
  return {
    subject: render('subjectTemplate', textEngine),
    preheader: render('preheaderTemplate', textEngine),
    html: render('html', htmlEngine),
    text: render('text', textEngine),
  };
}

export class TemplateRenderError extends Error {
  constructor(
    readonly part: keyof TemplateParts,
    readonly problem: string,
  ) {
    super(`Template ${part}: ${problem}`);
    this.name = 'TemplateRenderError';
  }
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0];
}
