// The body of POST /activities, the seed's "Track Activity" example
// (contactId, activityType, activityData, syncToCrms), with the optional
// fields the activity log also keeps.
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ACTIVITY_SOURCES,
  ACTIVITY_TYPES,
  type ActivitySource,
  type ActivityType,
} from '@engagement/contracts';
import type { JsonObject } from '@engagement/event-store';
import { ArrayMaxSize, IsArray, IsIn, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import {
  IsBoundedJsonObject,
  IsOptionalNotNull,
  MAX_JSON_OBJECT_BYTES,
} from '../shared/validators';

export class RecordActivityDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all')
  contactId!: string;

  @ApiProperty({ enum: ACTIVITY_TYPES, example: 'page_viewed' })
  @IsIn(ACTIVITY_TYPES)
  activityType!: ActivityType;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: `Shape depends on the type; at most ${MAX_JSON_OBJECT_BYTES} bytes`,
    example: { url: '/landing/webinar', title: 'How to Build AI Funnels', durationSeconds: 45 },
  })
  @IsBoundedJsonObject()
  activityData!: JsonObject;

  @ApiPropertyOptional({ type: [String], example: ['hubspot'] })
  @IsOptionalNotNull()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @Matches(/^[a-z][a-z0-9_]{1,49}$/, {
    each: true,
    message: 'syncToCrms holds provider keys like hubspot',
  })
  syncToCrms?: string[];

  @ApiPropertyOptional({
    format: 'uuid',
    description:
      'Idempotency: an activity id already recorded on the contact is ignored. Default: a new id',
  })
  @IsOptionalNotNull()
  @IsUUID('all')
  activityId?: string;

  @ApiPropertyOptional({ description: 'ISO 8601; default now' })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(40)
  occurredAt?: string;

  @ApiPropertyOptional({
    example: 'event',
    description: 'registration, message, event, campaign...',
  })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(50)
  relatedToType?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptionalNotNull()
  @IsUUID('all')
  relatedToId?: string;

  @ApiPropertyOptional({ enum: ACTIVITY_SOURCES, default: 'api' })
  @IsOptionalNotNull()
  @IsIn(ACTIVITY_SOURCES)
  source?: ActivitySource;
}
