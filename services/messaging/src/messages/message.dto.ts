// POST /messages: a template (id or slug), a contact, a channel and variables.
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsObject, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import {
  MESSAGE_CHANNELS,
  MESSAGE_KINDS,
  type MessageChannel,
  type MessageKind,
} from '@engagement/contracts';
import type { JsonObject } from '@engagement/event-store';

export class SendMessageDto {
  @ApiProperty({ description: 'Template id or slug', example: 'webinar-reminder' })
  @IsString()
  @MaxLength(200)
  template!: string;
  @ApiProperty({ format: 'uuid' }) @IsUUID() contactId!: string;
  @ApiPropertyOptional({
    enum: MESSAGE_CHANNELS,
    description: "Defaults to the template's channel",
  })
  @IsOptional()
  @IsIn(MESSAGE_CHANNELS, { message: `channel must be one of ${MESSAGE_CHANNELS.join(', ')}` })
  channel?: MessageChannel;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    example: { join_url: 'https://zoom.us/j/1' },
  })
  @IsOptional()
  @IsObject()
  variables?: JsonObject;
  @ApiPropertyOptional({ enum: MESSAGE_KINDS, default: 'transactional' })
  @IsOptional()
  @IsIn(MESSAGE_KINDS)
  kind?: MessageKind;
  @ApiPropertyOptional({
    format: 'uuid',
    description: 'Makes the request idempotent: the same id is one message',
  })
  @IsOptional()
  @IsUUID()
  messageId?: string;
}
