// POST /contacts/data-keys: many contacts' data keys in one request, for a
// service sending to many at once (a campaign's page of recipients).
import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsUUID } from 'class-validator';

/** Contacts per request: a campaign's page. */
export const MAX_DATA_KEYS_PER_REQUEST = 500;

export class DataKeysRequest {
  @ApiProperty({ type: [String], format: 'uuid', maxItems: MAX_DATA_KEYS_PER_REQUEST })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_DATA_KEYS_PER_REQUEST)
  @IsUUID('all', { each: true })
  contactIds!: string[];
}

export class DataKeysItem {
  @ApiProperty({ format: 'uuid' })
  contactId!: string;

  @ApiProperty({
    enum: ['active', 'erased', 'none'],
    description: 'erased: the keys were destroyed; none: the contact has no personal data',
  })
  state!: 'active' | 'erased' | 'none';

  @ApiProperty({ required: false, description: 'key id → key (base64), when active' })
  keys?: Record<string, string>;

  @ApiProperty({ required: false })
  currentKeyId?: string;
}

export class DataKeysAnswer {
  @ApiProperty({ type: [DataKeysItem] })
  items!: DataKeysItem[];
}
