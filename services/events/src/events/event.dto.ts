// The HTTP shapes of the event commands and queries: the seed's columns in
// camelCase, checked at the edge (422 per malformed field, unknown fields
// refused). A past scheduledAt is the decider's to refuse (it knows "now").
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { EVENT_PLATFORMS, EVENT_STATUSES, EVENT_TYPES } from '@engagement/contracts';
import type { EventPlatform, EventStatus, EventType } from '@engagement/contracts';
import { PageQuery } from '@engagement/service-runtime';
import {
  IsIn,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  IsTimeZone,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';

const URL_OPTIONS = { protocols: ['http', 'https'], require_protocol: true, require_tld: false };
const SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const ISO = { strict: true, strictSeparator: true };
const ZONED = /(Z|[+-]\d{2}:?\d{2})$/;

class EventFieldsDto {
  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(20_000)
  description?: string | null;

  @ApiPropertyOptional({ nullable: true, format: 'uri' })
  @IsOptional()
  @IsUrl(URL_OPTIONS, { message: 'platformUrl must be an http(s) URL' })
  @MaxLength(2048)
  platformUrl?: string | null;

  @ApiPropertyOptional({ minimum: 1, maximum: 10080, default: 60 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10_080)
  durationMinutes?: number;

  @ApiPropertyOptional({ nullable: true, example: 'ai-funnels-webinar' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  @Matches(SLUG, { message: 'landingPageSlug must be lower-case kebab-case' })
  landingPageSlug?: string | null;

  @ApiPropertyOptional({ nullable: true, format: 'uri' })
  @IsOptional()
  @IsUrl(URL_OPTIONS, { message: 'coverImageUrl must be an http(s) URL' })
  @MaxLength(2048)
  coverImageUrl?: string | null;

  @ApiPropertyOptional({ nullable: true, format: 'uri' })
  @IsOptional()
  @IsUrl(URL_OPTIONS, { message: 'replayUrl must be an http(s) URL' })
  @MaxLength(2048)
  replayUrl?: string | null;

  @ApiPropertyOptional({ nullable: true, format: 'uri' })
  @IsOptional()
  @IsUrl(URL_OPTIONS, { message: 'resourcesUrl must be an http(s) URL' })
  @MaxLength(2048)
  resourcesUrl?: string | null;

  @ApiPropertyOptional({ nullable: true, minimum: 0, description: 'null: unlimited' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  maxRegistrations?: number | null;

  @ApiPropertyOptional({ nullable: true, type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  contentContext?: Record<string, unknown> | null;
}

export class CreateEventDto extends EventFieldsDto {
  @ApiProperty({ example: 'How to Build AI Funnels' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  title!: string;

  @ApiProperty({ enum: EVENT_TYPES })
  @IsIn(EVENT_TYPES)
  type!: EventType;

  @ApiProperty({ enum: EVENT_PLATFORMS })
  @IsIn(EVENT_PLATFORMS)
  platform!: EventPlatform;

  @ApiPropertyOptional({
    nullable: true,
    description: 'An existing meeting/webinar id on the platform',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  platformEventId?: string | null;

  @ApiPropertyOptional({ nullable: true, type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  platformMetadata?: Record<string, unknown> | null;

  @ApiProperty({
    example: '2027-01-15T17:00:00Z',
    description: 'ISO 8601 with a zone; in the future',
  })
  @IsISO8601(ISO)
  @Matches(ZONED, { message: 'scheduledAt must carry a zone (Z or an offset)' })
  scheduledAt!: string;

  @ApiPropertyOptional({ default: 'America/Los_Angeles', description: 'IANA time zone' })
  @IsOptional()
  @IsTimeZone()
  timezone?: string;
}

export class UpdateEventDto extends EventFieldsDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  title?: string;

  @ApiPropertyOptional({ enum: EVENT_TYPES })
  @IsOptional()
  @IsIn(EVENT_TYPES)
  type?: EventType;
}

export class RescheduleEventDto {
  @ApiProperty({ example: '2027-02-01T17:00:00Z' })
  @IsISO8601(ISO)
  @Matches(ZONED, { message: 'scheduledAt must carry a zone (Z or an offset)' })
  scheduledAt!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsTimeZone()
  timezone?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 10080 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10_080)
  durationMinutes?: number;
}

export class ReasonDto {
  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(2_000)
  reason?: string | null;
}

export class ListEventsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: EVENT_STATUSES })
  @IsOptional()
  @IsIn(EVENT_STATUSES)
  status?: EventStatus;

  @ApiPropertyOptional({ enum: EVENT_TYPES })
  @IsOptional()
  @IsIn(EVENT_TYPES)
  type?: EventType;

  @ApiPropertyOptional({ enum: EVENT_PLATFORMS })
  @IsOptional()
  @IsIn(EVENT_PLATFORMS)
  platform?: EventPlatform;

  @ApiPropertyOptional({ description: 'scheduledAt at or after (ISO 8601)' })
  @IsOptional()
  @IsISO8601(ISO)
  from?: string;

  @ApiPropertyOptional({ description: 'scheduledAt before (ISO 8601)' })
  @IsOptional()
  @IsISO8601(ISO)
  to?: string;
}
