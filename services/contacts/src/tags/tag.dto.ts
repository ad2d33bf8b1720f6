// Request bodies of the /tags endpoints. Shapes and sizes only: the tag
// decider checks the rules (slug form, colour, category) and answers 422
// naming the field.
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  TAG_CATEGORIES,
  TAG_CRM_MAPPING_TYPES,
  type TagCategory,
  type TagCrmMappingType,
} from '@engagement/contracts';
import { IsBoolean, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { IsOptionalNotNull } from '../shared/validators';

export class CreateTagDto {
  @ApiProperty({ example: 'Hot Lead', maxLength: 100 })
  @IsString()
  @MaxLength(1_000)
  name!: string;

  @ApiPropertyOptional({ example: 'hot-lead', description: 'Default: derived from the name' })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(100)
  slug?: string;

  @ApiPropertyOptional({ example: '#ff8800', nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(20)
  color?: string | null;

  @ApiPropertyOptional({ nullable: true, maxLength: 1000 })
  @IsOptional()
  @IsString()
  @MaxLength(10_000)
  description?: string | null;

  @ApiPropertyOptional({ enum: TAG_CATEGORIES, nullable: true })
  @IsOptional()
  @IsIn(TAG_CATEGORIES)
  category?: TagCategory | null;

  @ApiPropertyOptional({ default: false, description: 'System tags cannot be deleted' })
  @IsOptionalNotNull()
  @IsBoolean()
  isSystem?: boolean;
}

/** PATCH /tags/:id: only the fields present change; null clears. Renaming keeps the slug. */
export class UpdateTagDto {
  @ApiPropertyOptional({ maxLength: 100 })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(1_000)
  name?: string;

  @ApiPropertyOptional()
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(100)
  slug?: string;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(20)
  color?: string | null;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(10_000)
  description?: string | null;

  @ApiPropertyOptional({ enum: TAG_CATEGORIES, nullable: true })
  @IsOptional()
  @IsIn(TAG_CATEGORIES)
  category?: TagCategory | null;
}

/** PUT /tags/:id/crm-mappings/:provider, e.g. hubspot → {mappingType: list, externalId: 123}. */
export class TagCrmMappingDto {
  @ApiProperty({ enum: TAG_CRM_MAPPING_TYPES })
  @IsIn(TAG_CRM_MAPPING_TYPES)
  mappingType!: TagCrmMappingType;

  @ApiProperty({ example: '123', maxLength: 255 })
  @IsString()
  @MaxLength(1_000)
  externalId!: string;
}
