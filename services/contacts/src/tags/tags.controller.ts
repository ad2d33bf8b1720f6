// /tags (the gateway's /api/tags/**): create, read, update, delete tags and
// their CRM mappings. Writes go to the tag's stream through TagsHandler
// (names and slugs reserved, so unique across tags); reads come from the
// read model. System tags cannot be deleted (422).
import {
  Body,
  Controller,
  Delete,
  Get,
  Inject,
  Param,
  Patch,
  Post,
  Put,
  Query,
  Req,
} from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { NotFoundError } from '@engagement/decider';
import type { Request } from 'express';
import { getTagById, getTagBySlug, listTags, type ReadModelSource } from '../read-model';
import { isUuid } from '../domain';
import { commandContext } from '../shared/command-context';
import { commandResponse, CommandResponse } from '../shared/command-response';
import { IdPipe } from '../shared/params';
import { PageQuery, ReadModelWaiter, ReadQuery } from '../shared/read-your-writes';
import { READ_MODEL_SOURCE } from '../shared/tokens';
import { CreateTagDto, TagCrmMappingDto, UpdateTagDto } from './tag.dto';
import { TagsHandler } from './tags.handler';

@ApiTags('tags')
@ApiResponse({ status: 422, description: 'Invalid input (problem+json with the fields at fault)' })
@Controller('tags')
export class TagsController {
  constructor(
    private readonly tags: TagsHandler,
    @Inject(READ_MODEL_SOURCE) private readonly readModel: ReadModelSource,
    private readonly waiter: ReadModelWaiter,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'Create a tag (name and slug unique; slug derived from the name by default)',
  })
  @ApiResponse({ status: 201, type: CommandResponse })
  @ApiResponse({
    status: 409,
    description: 'tag-slug-taken / tag-name-taken: details.tagId is the holder',
  })
  async create(@Body() body: CreateTagDto, @Req() request: Request): Promise<CommandResponse> {
    const { tagId, result } = await this.tags.create(body, commandContext(request));
    return commandResponse(tagId, result.position, result.revision);
  }

  @Get()
  @ApiOperation({ summary: 'List tags by slug, cursor-paged, with how many contacts carry each' })
  async list(@Query() query: PageQuery) {
    await this.waiter.waitFor(query.waitForPosition);
    const limit = query.limit === undefined ? undefined : Number(query.limit);
    return listTags(this.readModel, { limit, cursor: query.cursor });
  }

  @Get(':idOrSlug')
  @ApiOperation({ summary: 'One tag, by id or by slug' })
  async get(@Param('idOrSlug') idOrSlug: string, @Query() query: ReadQuery) {
    await this.waiter.waitFor(query.waitForPosition);
    const tag = isUuid(idOrSlug)
      ? await getTagById(this.readModel, idOrSlug.toLowerCase())
      : await getTagBySlug(this.readModel, idOrSlug);
    if (!tag) throw new NotFoundError(`Tag ${idOrSlug} does not exist`, 'tag-not-found');
    return tag;
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change a tag; renaming keeps the slug unless a new slug is given' })
  @ApiResponse({ status: 200, type: CommandResponse })
  async update(
    @Param('id', IdPipe) id: string,
    @Body() body: UpdateTagDto,
    @Req() request: Request,
  ): Promise<CommandResponse> {
    const result = await this.tags.update(id, body, commandContext(request));
    return commandResponse(id, result.position, result.revision);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Delete a tag (system tags cannot be deleted)' })
  @ApiResponse({ status: 200, type: CommandResponse })
  async delete(@Param('id', IdPipe) id: string, @Req() request: Request): Promise<CommandResponse> {
    const result = await this.tags.delete(id, commandContext(request));
    return commandResponse(id, result.position, result.revision);
  }

  @Put(':id/crm-mappings/:provider')
  @ApiOperation({ summary: "Map the tag to a CRM's list or tag" })
  @ApiResponse({ status: 200, type: CommandResponse })
  async setCrmMapping(
    @Param('id', IdPipe) id: string,
    @Param('provider') provider: string,
    @Body() body: TagCrmMappingDto,
    @Req() request: Request,
  ): Promise<CommandResponse> {
    const context = commandContext(request);
    const result = await this.tags.setCrmMapping(
      id,
      provider,
      body.mappingType,
      body.externalId,
      context,
    );
    return commandResponse(id, result.position, result.revision);
  }

  @Delete(':id/crm-mappings/:provider')
  @ApiOperation({ summary: "Remove the tag's mapping to a CRM" })
  @ApiResponse({ status: 200, type: CommandResponse })
  async removeCrmMapping(
    @Param('id', IdPipe) id: string,
    @Param('provider') provider: string,
    @Req() request: Request,
  ): Promise<CommandResponse> {
    const result = await this.tags.removeCrmMapping(id, provider, commandContext(request));
    return commandResponse(id, result.position, result.revision);
  }
}
