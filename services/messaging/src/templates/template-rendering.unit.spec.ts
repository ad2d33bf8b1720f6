import {
  checkTemplateParts,
  declaredVariableNames,
  missingRequiredVariables,
  renderTemplate,
  TemplateRenderError,
} from './template-rendering';

const parts = (html: string | null, subject: string | null = null) => ({
  subjectTemplate: subject,
  preheaderTemplate: null,
  html,
  text: null,
});

describe('template rendering (LiquidJS, strict)', () => {
  it('accepts built-in roots and declared variables, and names unknown ones at save time', () => {
    expect(
      checkTemplateParts(parts('Hi {{ contact.first_name }} {{ coupon }}'), ['coupon']),
    ).toEqual([]);
    expect(checkTemplateParts(parts('Hi {{ cupon }}', 'For {{ who }}'), ['coupon'])).toEqual([
      { part: 'subjectTemplate', problem: 'unknown variable "who"' },
      { part: 'html', problem: 'unknown variable "cupon"' },
    ]);
  });

  it('refuses invalid Liquid and unknown filters at save time', () => {
    const [syntax] = checkTemplateParts(parts('{% if x %}never closed'), ['x']);
    expect(syntax).toMatchObject({
      part: 'html',
      problem: expect.stringMatching(/^invalid Liquid/),
    });
    const [filter] = checkTemplateParts(parts('{{ contact.first_name | shout }}'), []);
    expect(filter.problem).toMatch(/invalid Liquid: .*shout/);
  });

  it('does not count loop variables as unknown', () => {
    expect(checkTemplateParts(parts('{% for l in links.items %}{{ l }}{% endfor %}'), [])).toEqual(
      [],
    );
  });

  it('escapes HTML in the HTML body, not in subject and text', () => {
    const out = renderTemplate(
      {
        subjectTemplate: 'For {{ name }}',
        preheaderTemplate: null,
        html: '<p>{{ name }}</p>',
        text: '{{ name }}',
      },
      { name: '<b>Tom & Jerry</b>' },
    );
    expect(out).toEqual({
      subject: 'For <b>Tom & Jerry</b>',
      preheader: null,
      html: '<p>&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;</p>',
      text: '<b>Tom & Jerry</b>',
    });
  });

  it('fails on an undefined variable at render time instead of leaving a blank', () => {
    expect(() => renderTemplate(parts('Hi {{ coupon }}'), {})).toThrow(TemplateRenderError);
  });

  it('names the required variables a send lacks, paths included', () => {
    expect(
      missingRequiredVariables(['coupon', 'contact.first_name', 'event.title'], {
        coupon: '',
        contact: { first_name: 'Ann' },
      }),
    ).toEqual(['coupon', 'event.title']);
  });

  it('reads declared names from an object schema or a list', () => {
    expect(declaredVariableNames({ coupon: { type: 'string' }, amount: {} })).toEqual([
      'coupon',
      'amount',
    ]);
    expect(declaredVariableNames(['coupon'])).toEqual(['coupon']);
    expect(declaredVariableNames(null)).toEqual([]);
  });
});
