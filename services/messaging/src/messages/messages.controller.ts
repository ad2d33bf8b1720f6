// /messages (the gateway's /api/messages/**): POST sends a message in the
// background → 202 {id, status}; the refusals a client can fix (unknown
// template or contact, missing required variables, a render error) are 422
// before anything is queued. GETs read sent_messages.
import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { commandContext, IdPipe, ReadModelWaiter, ReadQuery } from '@engagement/service-runtime';
import { IsIn, IsOptional, IsUUID } from 'class-validator';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { getMessage, listMessages, type ReadModelSource } from '../read-model/messaging.queries';
import { READ_MODEL } from '../shared/tokens';
import { SendMessageDto } from './message.dto';
import { MessageRequester } from './request-message';
import { SendWorker } from './send-queue';

class MessagesQuery extends ReadQuery {
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() contactId?: string;
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() campaignId?: string;
  @ApiPropertyOptional()
  @IsOptional()
  @IsIn(['queued', 'deferred', 'blocked', 'sent', 'delivered', 'bounced', 'failed'])
  status?: string;
}

@ApiTags('messages')
@Controller('messages')
export class MessagesController {
  constructor(
    private readonly requester: MessageRequester,
    private readonly worker: SendWorker,
    @Inject(READ_MODEL) private readonly readModel: ReadModelSource,
    private readonly waiter: ReadModelWaiter,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({ summary: 'Send a message from a template to a contact, in the background' })
  @ApiResponse({ status: 202, description: '{ id, status, position }' })
  @ApiResponse({
    status: 422,
    description:
      'unknown-template, unknown-contact, missing-required-variables (details.variables), render-failed, channel-mismatch',
  })
  async send(@Body() body: SendMessageDto, @Req() request: Request) {
    const result = await this.requester.request(
      {
        messageId: body.messageId?.toLowerCase(),
        template: body.template,
        contactId: body.contactId.toLowerCase(),
        channel: body.channel,
        variables: body.variables ?? {},
        kind: body.kind ?? 'transactional',
      },
      commandContext(request),
    );
    this.worker.poke();
    return { id: result.id, status: result.status, position: result.position?.toString() ?? null };
  }

  @Get()
  @ApiOperation({ summary: 'Sent messages, newest first, by contact, campaign or status' })
  async list(@Query() query: MessagesQuery) {
    await this.waiter.waitFor(query.waitForPosition);
    return listMessages(
      this.readModel,
      { contactId: query.contactId, campaignId: query.campaignId, status: query.status },
      200,
    );
  }

  @Get(':id')
  @ApiOperation({ summary: 'One sent message (sent_messages, camelCase)' })
  async get(@Param('id', IdPipe) id: string, @Query() query: ReadQuery) {
    await this.waiter.waitFor(query.waitForPosition);
    return getMessage(this.readModel, id);
  }
}
