// POST /templates and PATCH /templates/:id bodies: the seed's
// message_templates columns in camelCase. Shapes are checked here; the
// template's rules (channel, Liquid, declared variables) by its decider.
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsArray,
  IsBoolean,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  MaxLength,
} from 'class-validator';
import {
  CONTENT_SOURCES,
  MESSAGE_CHANNELS,
  type ContentSource,
  type MessageChannel,
  type TemplateFields,
} from '@engagement/contracts';
import type { JsonObject } from '@engagement/event-store';

const MAX_BODY = 200_000;

export class TemplateChangesDto {
  @ApiPropertyOptional({ example: 'Webinar reminder' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  name?: string;
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsString() @MaxLength(2000) description?:
    string | null;
  @ApiPropertyOptional({ enum: MESSAGE_CHANNELS })
  @IsOptional()
  @IsIn(MESSAGE_CHANNELS, { message: `channel must be one of ${MESSAGE_CHANNELS.join(', ')}` })
  channel?: MessageChannel;
  @ApiPropertyOptional({ example: '{{ event.title }} starts soon', nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  subjectTemplate?: string | null;
  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  preheaderTemplate?: string | null;
  @ApiPropertyOptional({ enum: CONTENT_SOURCES, default: 'manual' })
  @IsOptional()
  @IsIn(CONTENT_SOURCES)
  contentSource?: ContentSource;
  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  contentApiUrl?: string | null;
  @ApiPropertyOptional({ example: '<p>Hi {{ contact.first_name }}</p>', nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_BODY)
  cachedContentHtml?: string | null;
  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_BODY)
  cachedContentText?: string | null;
  @ApiPropertyOptional({
    description: 'Declared variables: name → {type?, description?}',
    example: { join_url: { type: 'string' } },
    nullable: true,
    type: 'object',
    additionalProperties: true,
  })
  @IsOptional()
  @IsObject()
  variables?: JsonObject | null;
  @ApiPropertyOptional({ type: [String], example: ['join_url'], nullable: true })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  requiredVariables?: string[] | null;
  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_BODY)
  generationPrompt?: string | null;
  @ApiPropertyOptional({ nullable: true, type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  brandContext?: JsonObject | null;
  @ApiPropertyOptional({ default: false }) @IsOptional() @IsBoolean() isVariant?: boolean;
  @ApiPropertyOptional({ format: 'uuid', nullable: true })
  @IsOptional()
  @IsUUID()
  parentTemplateId?: string | null;
  @ApiPropertyOptional({ example: 'A', nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(50)
  variantName?: string | null;
  @ApiPropertyOptional({ default: false }) @IsOptional() @IsBoolean() syncToCrm?: boolean;
  @ApiPropertyOptional({
    nullable: true,
    type: 'object',
    additionalProperties: true,
    example: { hubspot: { template_id: '123' } },
  })
  @IsOptional()
  @IsObject()
  crmTemplateMappings?: JsonObject | null;
  @ApiPropertyOptional({ default: true }) @IsOptional() @IsBoolean() isActive?: boolean;
}

export class CreateTemplateDto extends TemplateChangesDto {
  @ApiProperty({ example: 'webinar-reminder' }) @IsString() @MaxLength(200) slug!: string;
  @ApiProperty({ example: 'Webinar reminder' }) @IsString() @MaxLength(200) declare name: string;
  @ApiProperty({ enum: MESSAGE_CHANNELS })
  @IsIn(MESSAGE_CHANNELS, { message: `channel must be one of ${MESSAGE_CHANNELS.join(', ')}` })
  declare channel: MessageChannel;
}

export function templateFieldsOf(dto: CreateTemplateDto): TemplateFields {
  return {
    slug: dto.slug,
    name: dto.name,
    description: dto.description ?? null,
    channel: dto.channel,
    subjectTemplate: dto.subjectTemplate ?? null,
    preheaderTemplate: dto.preheaderTemplate ?? null,
    contentSource: dto.contentSource ?? 'manual',
    contentApiUrl: dto.contentApiUrl ?? null,
    cachedContentHtml: dto.cachedContentHtml ?? null,
    cachedContentText: dto.cachedContentText ?? null,
    variables: dto.variables ?? null,
    requiredVariables: dto.requiredVariables ?? null,
    generationPrompt: dto.generationPrompt ?? null,
    brandContext: dto.brandContext ?? null,
    isVariant: dto.isVariant ?? false,
    parentTemplateId: dto.parentTemplateId?.toLowerCase() ?? null,
    variantName: dto.variantName ?? null,
    syncToCrm: dto.syncToCrm ?? false,
    crmTemplateMappings: dto.crmTemplateMappings ?? null,
    isActive: dto.isActive ?? true,
  };
}

export function templateChangesOf(dto: TemplateChangesDto): Partial<TemplateFields> {
  const changes: Partial<TemplateFields> = {};
  for (const [key, value] of Object.entries(dto))
    if (value !== undefined) (changes as Record<string, unknown>)[key] = value;
  return changes;
}
