// /templates (the gateway's /api/templates/**): create (the seed's columns
// in camelCase) → 201 {id, position, revision, version}; revise (a used
// version becomes a new version); read one, list, and per-variant counts
// of an A/B parent.
import { Body, Controller, Get, Inject, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { derivedId } from '@engagement/decider';
import {
  commandContext,
  commandResponse,
  IdPipe,
  ReadModelWaiter,
  ReadQuery,
} from '@engagement/service-runtime';
import {
  getTemplate,
  listTemplates,
  variantStats,
  type ReadModelSource,
} from '../read-model/messaging.queries';
import { READ_MODEL } from '../shared/tokens';
import {
  CreateTemplateDto,
  TemplateChangesDto,
  templateChangesOf,
  templateFieldsOf,
} from './template.dto';
import { TemplatesHandler } from './templates.handler';

@ApiTags('templates')
@ApiResponse({
  status: 422,
  description:
    'Invalid input: unknown channel, invalid Liquid, undeclared variables (problem+json)',
})
@Controller('templates')
export class TemplatesController {
  constructor(
    private readonly templates: TemplatesHandler,
    @Inject(READ_MODEL) private readonly readModel: ReadModelSource,
    private readonly waiter: ReadModelWaiter,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'Create a message template (slug unique; Liquid and variables checked now)',
  })
  @ApiResponse({ status: 201 })
  @ApiResponse({ status: 409, description: 'slug-taken' })
  async create(@Body() body: CreateTemplateDto, @Req() request: Request) {
    const fields = templateFieldsOf(body);
    const context = commandContext(request);
    // Under an Idempotency-Key a retry names the same template, and gets the first result.
    const result = await this.templates.create(fields, context, derivedId(context, 'template'));
    return {
      ...commandResponse(
        result.streamId.slice('template-'.length),
        result.position,
        result.revision,
      ),
      slug: fields.slug,
      version: 1,
    };
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Revise a template; once a version was used, the revision is a new version',
  })
  async revise(
    @Param('id', IdPipe) id: string,
    @Body() body: TemplateChangesDto,
    @Req() request: Request,
  ) {
    const result = await this.templates.revise(
      id,
      templateChangesOf(body),
      commandContext(request),
    );
    const version = result.state.exists ? result.state.version : null;
    return { ...commandResponse(id, result.position, result.revision), version };
  }

  @Get()
  @ApiOperation({ summary: 'List templates by slug' })
  async list(@Query() query: ReadQuery) {
    await this.waiter.waitFor(query.waitForPosition);
    return listTemplates(this.readModel, 200);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A template (the seed columns, camelCase)' })
  async get(@Param('id', IdPipe) id: string, @Query() query: ReadQuery) {
    await this.waiter.waitFor(query.waitForPosition);
    return getTemplate(this.readModel, id);
  }

  @Get(':id/variants')
  @ApiOperation({
    summary: 'Per-variant counts of an A/B parent: sent, delivered, opened, clicked',
  })
  async variants(@Param('id', IdPipe) id: string, @Query() query: ReadQuery) {
    await this.waiter.waitFor(query.waitForPosition);
    await getTemplate(this.readModel, id);
    return variantStats(this.readModel, id);
  }
}
