// The request bodies and query strings of the /contacts endpoints, checked
// at the edge by class-validator (unknown fields refused, strings bounded)
// and described for the OpenAPI document. They only check shapes and sizes;
// the domain's rules (a valid address, E.164 phones, IANA time zones...) are
// the decider's, which answers 422 with the field at fault.
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  CONTACT_SOURCES,
  CONTACT_STATUSES,
  LIFECYCLE_STAGES,
  TAG_APPLIERS,
  PROPERTY_SOURCES,
  PROPERTY_TYPES,
  SYNC_DIRECTIONS,
  type ContactSource,
  type ContactStatus,
  type LifecycleStage,
  type PropertySource,
  type PropertyType,
  type SyncDirection,
  type TagApplier,
} from '@engagement/contracts';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
} from 'class-validator';
import { ReadQuery } from '../shared/read-your-writes';
import {
  IsOptionalNotNull,
  IsPropertyMap,
  IsPropertyValue,
  MAX_PROPERTIES_PER_REQUEST,
  MAX_TAGS_PER_REQUEST,
} from '../shared/validators';

export const MAX_EMAIL_INPUT = 320;
export const MAX_NAME_INPUT = 1_000;
export const MAX_PHONE_INPUT = 64;
export const MAX_ZONE_INPUT = 100;
export const MAX_LOCALE_INPUT = 35;
export const MAX_URL_INPUT = 2_048;
export const MAX_TAG_INPUT = 100;
export const MAX_CRMS = 20;
export const PROVIDER = /^[a-z][a-z0-9_]{1,49}$/;

export type PropertyValueInput = string | number | boolean;

/** POST /contacts (the seed's example body) and PUT /contacts (upsert by email). */
export class CreateContactDto {
  @ApiProperty({ example: 'user@example.com', maxLength: MAX_EMAIL_INPUT })
  @IsString()
  @MaxLength(MAX_EMAIL_INPUT)
  email!: string;

  @ApiPropertyOptional({ example: 'Austin', maxLength: MAX_NAME_INPUT, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_NAME_INPUT)
  firstName?: string | null;

  @ApiPropertyOptional({ example: 'Mao', maxLength: MAX_NAME_INPUT, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_NAME_INPUT)
  lastName?: string | null;

  @ApiPropertyOptional({ example: '+14155550100', description: 'E.164', nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_PHONE_INPUT)
  phone?: string | null;

  @ApiPropertyOptional({ example: 'America/Los_Angeles', description: 'IANA time zone' })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(MAX_ZONE_INPUT)
  timezone?: string;

  @ApiPropertyOptional({ example: 'en', description: 'BCP 47 language tag' })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(MAX_LOCALE_INPUT)
  locale?: string;

  @ApiPropertyOptional({ example: 'https://example.com/a.png', nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_URL_INPUT)
  avatarUrl?: string | null;

  @ApiPropertyOptional({ enum: LIFECYCLE_STAGES, default: 'lead' })
  @IsOptionalNotNull()
  @IsIn(LIFECYCLE_STAGES)
  lifecycleStage?: LifecycleStage;

  @ApiPropertyOptional({
    description: `Custom properties, name → value (string, number or boolean); at most ${MAX_PROPERTIES_PER_REQUEST}. In an upsert, null removes a property.`,
    example: { company: 'Ceremonia', job_title: 'Founder', industry: 'SaaS' },
    type: 'object',
    additionalProperties: { oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] },
  })
  @IsOptionalNotNull()
  @IsPropertyMap(true)
  properties?: Record<string, PropertyValueInput | null>;

  @ApiPropertyOptional({
    description: 'Tag slugs or names; tags that do not exist yet are created',
    example: ['webinar-attendee', 'hot-lead'],
    type: [String],
    maxItems: MAX_TAGS_PER_REQUEST,
  })
  @IsOptionalNotNull()
  @IsArray()
  @ArrayMaxSize(MAX_TAGS_PER_REQUEST)
  @IsString({ each: true })
  @MaxLength(MAX_TAG_INPUT, { each: true })
  tags?: string[];

  @ApiPropertyOptional({
    description: 'CRMs to sync the contact to (provider keys)',
    example: ['hubspot', 'gohighlevel'],
    type: [String],
  })
  @IsOptionalNotNull()
  @IsArray()
  @ArrayMaxSize(MAX_CRMS)
  @IsString({ each: true })
  @Matches(PROVIDER, { each: true, message: 'syncToCrms holds provider keys like hubspot' })
  syncToCrms?: string[];
  @ApiPropertyOptional({
    enum: CONTACT_SOURCES,
    default: 'api',
    description: 'Where the change comes from (crm_sync: a CRM connector applying a change made in the CRM)',
  })
  @IsOptionalNotNull()
  @IsIn(CONTACT_SOURCES)
  source?: ContactSource;
}

/** PATCH /contacts/:id: identity fields; only those present change, null clears. */
export class UpdateContactDto {
  @ApiPropertyOptional({ maxLength: MAX_EMAIL_INPUT })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(MAX_EMAIL_INPUT)
  email?: string;

  @ApiPropertyOptional({ nullable: true, maxLength: MAX_NAME_INPUT })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_NAME_INPUT)
  firstName?: string | null;

  @ApiPropertyOptional({ nullable: true, maxLength: MAX_NAME_INPUT })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_NAME_INPUT)
  lastName?: string | null;

  @ApiPropertyOptional({ nullable: true, description: 'E.164' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_PHONE_INPUT)
  phone?: string | null;

  @ApiPropertyOptional({ description: 'IANA time zone' })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(MAX_ZONE_INPUT)
  timezone?: string;

  @ApiPropertyOptional({ description: 'BCP 47 language tag' })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(35)
  locale?: string;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_URL_INPUT)
  avatarUrl?: string | null;
}

/** POST /contacts/:id/tags */
export class AddTagsDto {
  @ApiProperty({ type: [String], example: ['hot-lead'], maxItems: MAX_TAGS_PER_REQUEST })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_TAGS_PER_REQUEST)
  @IsString({ each: true })
  @MaxLength(MAX_TAG_INPUT, { each: true })
  tags!: string[];
  @ApiPropertyOptional({ enum: TAG_APPLIERS, default: 'api', description: 'Who applies the tags (crm_sync: a CRM connector)' })
  @IsOptionalNotNull()
  @IsIn(TAG_APPLIERS)
  appliedBy?: TagApplier;
}

/** PUT /contacts/:id/properties/:name */
export class SetPropertyDto {
  @ApiProperty({
    oneOf: [{ type: 'string', maxLength: 10_000 }, { type: 'number' }, { type: 'boolean' }],
    example: 'Ceremonia',
  })
  @IsPropertyValue()
  value!: PropertyValueInput;

  @ApiPropertyOptional({
    enum: PROPERTY_TYPES,
    description: "Default: the property's current type, else inferred from the value",
  })
  @IsOptionalNotNull()
  @IsIn(PROPERTY_TYPES)
  type?: PropertyType;

  @ApiPropertyOptional({ type: [String], description: 'The allowed values of an enum property' })
  @IsOptionalNotNull()
  @IsArray()
  @ArrayMaxSize(500)
  @IsString({ each: true })
  @MaxLength(200, { each: true })
  enumOptions?: string[];

  @ApiPropertyOptional({ enum: PROPERTY_SOURCES, default: 'api' })
  @IsOptionalNotNull()
  @IsIn(PROPERTY_SOURCES)
  source?: PropertySource;
}

/** PUT /contacts/:id/consent/:channel */
export class ConsentDto {
  @ApiProperty({ description: 'true grants, false revokes' })
  @IsBoolean()
  granted!: boolean;

  @ApiPropertyOptional({ description: 'When the person decided (ISO 8601); default now' })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(40)
  at?: string;

  @ApiPropertyOptional({ description: 'The IP address the decision came from', nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  ip?: string | null;
}

/** PUT /contacts/:id/lifecycle-stage */
export class LifecycleStageDto {
  @ApiProperty({ enum: LIFECYCLE_STAGES })
  @IsIn(LIFECYCLE_STAGES)
  stage!: LifecycleStage;
}

/** PUT /contacts/:id/status (deletion is DELETE /contacts/:id) */
export class StatusDto {
  @ApiProperty({ enum: CONTACT_STATUSES.filter((s) => s !== 'deleted') })
  @IsIn(CONTACT_STATUSES.filter((s) => s !== 'deleted'))
  status!: ContactStatus;
}

/** PUT /contacts/:id/external-mappings/:provider */
export class ExternalMappingDto {
  @ApiProperty({ example: '12345', maxLength: 255 })
  @IsString()
  @MaxLength(255)
  externalId!: string;

  @ApiPropertyOptional({ example: 'https://app.hubspot.com/contacts/12345', nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_URL_INPUT)
  url?: string | null;

  @ApiProperty({ enum: SYNC_DIRECTIONS })
  @IsIn(SYNC_DIRECTIONS)
  syncDirection!: SyncDirection;

  @ApiPropertyOptional({ description: 'ISO 8601', nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  syncedAt?: string | null;
}

/** GET /contacts/:id/history */
export class HistoryQuery extends ReadQuery {
  @ApiPropertyOptional({ description: 'First revision to return', default: 0 })
  @IsOptional()
  @Matches(/^\d{1,12}$/, { message: 'fromRevision must be a revision number' })
  fromRevision?: string;

  @ApiPropertyOptional({ default: 1000, maximum: 1000 })
  @IsOptional()
  @Matches(/^\d{1,4}$/, { message: 'limit must be a number' })
  limit?: string;
}
