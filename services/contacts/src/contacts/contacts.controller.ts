// The write endpoints of /contacts (the gateway serves them as
// /api/contacts/**). Each maps its validated body to a domain command (or a
// batch of them) and hands it to a handler; every one answers
// { id, position, revision }, position being what a later GET can pass as
// ?waitForPosition= to read its own write.
import { randomUUID } from 'node:crypto';
import {
  Body,
  Controller,
  Delete,
  HttpCode,
  Param,
  Patch,
  Post,
  Put,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import {
  isOneOf,
  PROPERTY_SOURCES,
  TAG_APPLIERS,
  type ConsentChannel,
  type PropertySource,
  type TagApplier,
} from '@engagement/contracts';
import type { Request, Response } from 'express';
import { commandContext } from '../shared/command-context';
import { commandResponse, CommandResponse } from '../shared/command-response';
import { IdPipe } from '../shared/params';
import { tagReference } from '../tags/tag-resolver';
import type { ContactInput } from './contact.command';
import {
  AddTagsDto,
  ConsentDto,
  CreateContactDto,
  ExternalMappingDto,
  LifecycleStageDto,
  SetPropertyDto,
  StatusDto,
  UpdateContactDto,
} from './contact.dto';
import { CreateContactHandler } from './create-contact.handler';
import { UpdateContactHandler } from './update-contact.handler';

function contactInput(body: CreateContactDto): ContactInput {
  return {
    email: body.email,
    firstName: body.firstName,
    lastName: body.lastName,
    phone: body.phone,
    timezone: body.timezone,
    locale: body.locale,
    avatarUrl: body.avatarUrl,
    lifecycleStage: body.lifecycleStage,
    properties: body.properties,
    syncToCrms: body.syncToCrms,
    source: body.source ?? 'api',
  };
}

@ApiTags('contacts')
@ApiResponse({ status: 422, description: 'Invalid input (problem+json with the fields at fault)' })
@Controller('contacts')
export class ContactsController {
  constructor(
    private readonly createContact: CreateContactHandler,
    private readonly updateContact: UpdateContactHandler,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Create a contact with properties and tags (missing tags are created)' })
  @ApiResponse({ status: 201, type: CommandResponse })
  @ApiResponse({ status: 409, description: 'email-taken: details.contactId is the holder' })
  async create(@Body() body: CreateContactDto, @Req() request: Request): Promise<CommandResponse> {
    const { contactId, result } = await this.createContact.execute(
      { input: contactInput(body), tags: body.tags ?? [], mode: 'create' },
      commandContext(request),
    );
    return commandResponse(contactId, result.position, result.revision);
  }

  @Put()
  @ApiOperation({ summary: 'Create or update the contact with this email (upsert)' })
  @ApiResponse({ status: 201, type: CommandResponse, description: 'Created' })
  @ApiResponse({ status: 200, type: CommandResponse, description: 'Updated' })
  async upsert(
    @Body() body: CreateContactDto,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<CommandResponse> {
    const { contactId, created, result } = await this.createContact.execute(
      { input: contactInput(body), tags: body.tags ?? [], mode: 'upsert' },
      commandContext(request),
    );
    response.status(created ? 201 : 200);
    return commandResponse(contactId, result.position, result.revision);
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Change identity fields (email, names, phone, time zone, locale, avatar)',
  })
  @ApiResponse({ status: 200, type: CommandResponse })
  async update(
    @Param('id', IdPipe) id: string,
    @Body() body: UpdateContactDto,
    @Req() request: Request,
  ): Promise<CommandResponse> {
    const result = await this.updateContact.updateIdentity(id, body, commandContext(request));
    return commandResponse(id, result.position, result.revision);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Soft-delete a contact (erase is POST /contacts/:id/erase)' })
  @ApiResponse({ status: 200, type: CommandResponse })
  async delete(@Param('id', IdPipe) id: string, @Req() request: Request): Promise<CommandResponse> {
    const command = { type: 'DeleteContact', contactId: id } as const;
    const result = await this.updateContact.run(id, command, commandContext(request));
    return commandResponse(id, result.position, result.revision);
  }

  @Post(':id/tags')
  @HttpCode(200)
  @ApiOperation({ summary: 'Add tags by slug or name (missing tags are created)' })
  @ApiResponse({ status: 200, type: CommandResponse })
  async addTags(
    @Param('id', IdPipe) id: string,
    @Body() body: AddTagsDto,
    @Req() request: Request,
  ): Promise<CommandResponse> {
    const result = await this.updateContact.addTags(id, body.tags, body.appliedBy ?? 'api', commandContext(request));
    return commandResponse(id, result.position, result.revision);
  }

  @Delete(':id/tags/:slug')
  @ApiOperation({ summary: 'Remove a tag (by slug or name) from the contact' })
  @ApiResponse({ status: 200, type: CommandResponse })
  async removeTag(
    @Param('id', IdPipe) id: string,
    @Param('slug') slug: string,
    @Req() request: Request,
    @Query('removedBy') removedBy?: string,
  ): Promise<CommandResponse> {
    const reference = tagReference(slug, 'slug');
    const context = commandContext(request);
    // ?removedBy=crm_sync: a CRM connector applying a change made in the CRM (anything else counts as api).
    const by: TagApplier = isOneOf(TAG_APPLIERS, removedBy) ? removedBy : 'api';
    const result = await this.updateContact.removeTag(id, reference.slug, by, context);
    return commandResponse(id, result.position, result.revision);
  }

  @Put(':id/properties/:name')
  @ApiOperation({ summary: 'Set a custom property (typed: string, number, boolean, date, enum)' })
  @ApiResponse({ status: 200, type: CommandResponse })
  async setProperty(
    @Param('id', IdPipe) id: string,
    @Param('name') name: string,
    @Body() body: SetPropertyDto,
    @Req() request: Request,
  ): Promise<CommandResponse> {
    const change = {
      value: body.value,
      type: body.type,
      enumOptions: body.enumOptions,
      source: body.source ?? 'api',
    };
    const result = await this.updateContact.setProperty(id, name, change, commandContext(request));
    return commandResponse(id, result.position, result.revision);
  }

  @Delete(':id/properties/:name')
  @ApiOperation({ summary: 'Remove a custom property' })
  @ApiResponse({ status: 200, type: CommandResponse })
  async removeProperty(
    @Param('id', IdPipe) id: string,
    @Param('name') name: string,
    @Req() request: Request,
    @Query('source') source?: string,
  ): Promise<CommandResponse> {
    const command = {
      type: 'RemoveContactProperty',
      contactId: id,
      name,
      // ?source=crm_sync: a CRM connector applying a change made in the CRM.
      source: (isOneOf(PROPERTY_SOURCES, source) ? source : 'api') as PropertySource,
      activityId: randomUUID(),
    } as const;
    const result = await this.updateContact.run(id, command, commandContext(request));
    return commandResponse(id, result.position, result.revision);
  }

  @Put(':id/consent/:channel')
  @ApiOperation({
    summary: 'Grant or revoke consent for a channel (email, sms, whatsapp, marketing, analytics)',
  })
  @ApiResponse({ status: 200, type: CommandResponse })
  async consent(
    @Param('id', IdPipe) id: string,
    @Param('channel') channel: string,
    @Body() body: ConsentDto,
    @Req() request: Request,
  ): Promise<CommandResponse> {
    const command = {
      type: body.granted ? 'GrantConsent' : 'RevokeConsent',
      contactId: id,
      // The decider checks the channel against the list (422 naming the field).
      channel: channel as ConsentChannel,
      at: body.at,
      ip: body.ip,
    } as const;
    const result = await this.updateContact.run(id, command, commandContext(request));
    return commandResponse(id, result.position, result.revision);
  }

  @Put(':id/lifecycle-stage')
  @ApiOperation({ summary: "Move the contact to another lifecycle stage (the seed's stages)" })
  @ApiResponse({ status: 200, type: CommandResponse })
  async lifecycleStage(
    @Param('id', IdPipe) id: string,
    @Body() body: LifecycleStageDto,
    @Req() request: Request,
  ): Promise<CommandResponse> {
    const command = {
      type: 'ChangeLifecycleStage',
      contactId: id,
      stage: body.stage,
      source: 'api',
      activityId: randomUUID(),
    } as const;
    const result = await this.updateContact.run(id, command, commandContext(request));
    return commandResponse(id, result.position, result.revision);
  }

  @Put(':id/status')
  @ApiOperation({ summary: 'Set the status: active, unsubscribed or bounced' })
  @ApiResponse({ status: 200, type: CommandResponse })
  async status(
    @Param('id', IdPipe) id: string,
    @Body() body: StatusDto,
    @Req() request: Request,
  ): Promise<CommandResponse> {
    const command = { type: 'ChangeContactStatus', contactId: id, status: body.status } as const;
    const result = await this.updateContact.run(id, command, commandContext(request));
    return commandResponse(id, result.position, result.revision);
  }

  @Put(':id/external-mappings/:provider')
  @ApiOperation({ summary: 'Link the contact to its record in a CRM (or refresh the link)' })
  @ApiResponse({ status: 200, type: CommandResponse })
  async linkExternalMapping(
    @Param('id', IdPipe) id: string,
    @Param('provider') provider: string,
    @Body() body: ExternalMappingDto,
    @Req() request: Request,
  ): Promise<CommandResponse> {
    const command = {
      type: 'LinkExternalMapping',
      contactId: id,
      provider,
      externalId: body.externalId,
      url: body.url,
      syncDirection: body.syncDirection,
      syncedAt: body.syncedAt,
    } as const;
    const result = await this.updateContact.run(id, command, commandContext(request));
    return commandResponse(id, result.position, result.revision);
  }

  @Delete(':id/external-mappings/:provider')
  @ApiOperation({ summary: 'Unlink the contact from its record in a CRM' })
  @ApiResponse({ status: 200, type: CommandResponse })
  async unlinkExternalMapping(
    @Param('id', IdPipe) id: string,
    @Param('provider') provider: string,
    @Req() request: Request,
  ): Promise<CommandResponse> {
    const command = { type: 'UnlinkExternalMapping', contactId: id, provider } as const;
    const result = await this.updateContact.run(id, command, commandContext(request));
    return commandResponse(id, result.position, result.revision);
  }
}
