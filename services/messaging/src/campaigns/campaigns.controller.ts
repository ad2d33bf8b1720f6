// /campaigns (the gateway's /api/campaigns/**): create (draft, or scheduled
// with scheduledAt), revise and schedule before sending, send now, cancel,
// read one (with its counts) and list. Sending happens in the background
// (campaign-runner.ts); GET /campaigns/:id/messages lists its messages.
import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  Patch,
  Post,
  Query,
  Req,
} from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsArray,
  IsIn,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import type { Request } from 'express';
import { derivedId } from '@engagement/decider';
import {
  MESSAGE_CHANNELS,
  MESSAGE_KINDS,
  type MessageChannel,
  type MessageKind,
} from '@engagement/contracts';
import type { JsonObject } from '@engagement/event-store';
import {
  commandContext,
  commandResponse,
  IdPipe,
  ReadModelWaiter,
  ReadQuery,
} from '@engagement/service-runtime';
import {
  getCampaign,
  listCampaigns,
  listMessages,
  type ReadModelSource,
} from '../read-model/messaging.queries';
import { campaignStream, MessagingStreams } from '../shared/messaging-streams';
import { READ_MODEL } from '../shared/tokens';
import { TemplatesHandler } from '../templates/templates.handler';
import { campaignDecider, type CampaignCommand } from './campaign.decider';
import { CampaignRunner } from './campaign-runner';

class AudienceDto {
  @ApiPropertyOptional({ type: [String], example: ['vip'] })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  tags?: string[];
  @ApiPropertyOptional({ type: [String], example: ['customer'] })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  lifecycleStages?: string[];
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { industry: 'SaaS' },
  })
  @IsOptional()
  @IsObject()
  properties?: Record<string, string>;
}

class CampaignChangesDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200) name?: string;
  @ApiPropertyOptional({ enum: MESSAGE_CHANNELS })
  @IsOptional()
  @IsIn(MESSAGE_CHANNELS, { message: `channel must be one of ${MESSAGE_CHANNELS.join(', ')}` })
  channel?: MessageChannel;
  @ApiPropertyOptional({ format: 'uuid', description: 'A template or an A/B parent' })
  @IsOptional()
  @IsUUID()
  templateId?: string;
  @ApiPropertyOptional({ enum: MESSAGE_KINDS, default: 'marketing' })
  @IsOptional()
  @IsIn(MESSAGE_KINDS)
  kind?: MessageKind;
  @ApiPropertyOptional({ type: AudienceDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => AudienceDto)
  audience?: AudienceDto;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  variables?: JsonObject;
}

class CreateCampaignDto extends CampaignChangesDto {
  @ApiProperty() @IsString() @MaxLength(200) declare name: string;
  @ApiProperty({ enum: MESSAGE_CHANNELS })
  @IsIn(MESSAGE_CHANNELS, { message: `channel must be one of ${MESSAGE_CHANNELS.join(', ')}` })
  declare channel: MessageChannel;
  @ApiProperty({ format: 'uuid' }) @IsUUID() declare templateId: string;
  @ApiPropertyOptional({ description: 'ISO 8601: sent then; without it the campaign is a draft' })
  @IsOptional()
  @IsISO8601()
  scheduledAt?: string;
}

class ScheduleDto {
  @ApiProperty() @IsISO8601() scheduledAt!: string;
}

const audienceOf = (a: AudienceDto | undefined) => ({
  tags: a?.tags ?? [],
  lifecycleStages: a?.lifecycleStages ?? [],
  properties: a?.properties ?? {},
});

@ApiTags('campaigns')
@Controller('campaigns')
export class CampaignsController {
  constructor(
    private readonly streams: MessagingStreams,
    private readonly templates: TemplatesHandler,
    private readonly runner: CampaignRunner,
    @Inject(READ_MODEL) private readonly readModel: ReadModelSource,
    private readonly waiter: ReadModelWaiter,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Create a campaign: a draft, or scheduled when scheduledAt is given' })
  async create(@Body() body: CreateCampaignDto, @Req() request: Request) {
    const template = await this.templates.get(body.templateId.toLowerCase());
    // Under an Idempotency-Key a retry names the same campaign, and gets the first result.
    const campaignId = derivedId(commandContext(request), 'campaign');
    const result = await this.run(
      campaignId,
      {
        type: 'CreateCampaign',
        campaign: {
          campaignId,
          name: body.name,
          channel: body.channel,
          templateId: template.templateId,
          kind: body.kind ?? 'marketing',
          audience: audienceOf(body.audience),
          variables: body.variables ?? {},
          scheduledAt: body.scheduledAt ? new Date(body.scheduledAt).toISOString() : null,
        },
      },
      request,
    );
    return commandResponse(campaignId, result.position, result.revision);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change a draft or scheduled campaign' })
  async revise(
    @Param('id', IdPipe) id: string,
    @Body() body: CampaignChangesDto,
    @Req() request: Request,
  ) {
    if (body.templateId) await this.templates.get(body.templateId.toLowerCase());
    const changes = { ...body, ...(body.audience ? { audience: audienceOf(body.audience) } : {}) };
    const result = await this.run(
      id,
      { type: 'ReviseCampaign', changes: changes as never },
      request,
    );
    return commandResponse(id, result.position, result.revision);
  }

  @Post(':id/schedule')
  @HttpCode(200)
  async schedule(
    @Param('id', IdPipe) id: string,
    @Body() body: ScheduleDto,
    @Req() request: Request,
  ) {
    const result = await this.run(
      id,
      { type: 'ScheduleCampaign', scheduledAt: new Date(body.scheduledAt).toISOString() },
      request,
    );
    this.runner.poke();
    return commandResponse(id, result.position, result.revision);
  }

  @Post(':id/send')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send now, in the background: each audience member gets one message' })
  async send(@Param('id', IdPipe) id: string, @Req() request: Request) {
    const result = await this.run(id, { type: 'StartSending' }, request);
    await this.runner.startSending(id);
    this.runner.poke();
    return { ...commandResponse(id, result.position, result.revision), status: 'sending' };
  }

  @Post(':id/cancel')
  @HttpCode(200)
  async cancel(@Param('id', IdPipe) id: string, @Req() request: Request) {
    const result = await this.run(id, { type: 'CancelCampaign' }, request);
    return commandResponse(id, result.position, result.revision);
  }

  @Get()
  async list(@Query() query: ReadQuery) {
    await this.waiter.waitFor(query.waitForPosition);
    return listCampaigns(this.readModel, 200);
  }

  @Get(':id')
  @ApiOperation({
    summary:
      'A campaign with its status and counts (sent, delivered, opened, clicked, bounced, failed, blocked)',
  })
  async get(@Param('id', IdPipe) id: string, @Query() query: ReadQuery) {
    await this.waiter.waitFor(query.waitForPosition);
    return getCampaign(this.readModel, id);
  }

  @Get(':id/messages')
  async messages(@Param('id', IdPipe) id: string, @Query() query: ReadQuery) {
    await this.waiter.waitFor(query.waitForPosition);
    return listMessages(this.readModel, { campaignId: id }, 200);
  }

  private run(campaignId: string, command: CampaignCommand, request: Request) {
    return this.streams.run(
      campaignStream(campaignId),
      campaignDecider,
      command,
      commandContext(request),
    );
  }
}
