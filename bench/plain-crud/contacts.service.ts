// Creating and reading contacts with TypeORM, in one transaction per create:
// the contact row, its property rows, the tags (created when missing) and
// the contact's tag links, as the seed's POST /api/contacts example implies.
import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, QueryFailedError } from 'typeorm';
import type { CreateContactDto, PropertyValue } from './create-contact.dto';
import { Contact, ContactProperty, ContactTag, Tag } from './entities';

export interface ContactView {
  id: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  phone: string | null;
  timezone: string;
  locale: string;
  lifecycleStage: string;
  leadScore: number;
  status: string;
  properties: Record<string, PropertyValue>;
  tags: string[];
  createdAt: string;
  updatedAt: string;
}

function slugOf(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

function typeOf(value: PropertyValue): string {
  return typeof value === 'number' ? 'number' : typeof value === 'boolean' ? 'boolean' : 'string';
}

function typedValue(value: string | null, type: string): PropertyValue {
  if (type === 'number') return Number(value);
  if (type === 'boolean') return value === 'true';
  return value ?? '';
}

@Injectable()
export class ContactsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async create(body: CreateContactDto): Promise<{ id: string }> {
    const email = body.email.trim().toLowerCase();
    const tagNames = [...new Set((body.tags ?? []).map((t) => t.trim()).filter(Boolean))];
    try {
      return await this.dataSource.transaction(async (manager) => {
        const contact = await manager.save(
          manager.create(Contact, {
            email,
            firstName: body.firstName ?? null,
            lastName: body.lastName ?? null,
          }),
        );
        const properties = Object.entries(body.properties ?? {});
        if (properties.length > 0) {
          await manager.insert(
            ContactProperty,
            properties.map(([name, value]) => ({
              contact: { id: contact.id },
              name,
              value: String(value),
              type: typeOf(value),
              source: 'api',
            })),
          );
        }
        if (tagNames.length > 0) {
          const slugs = tagNames.map(slugOf);
          await manager
            .createQueryBuilder()
            .insert()
            .into(Tag)
            .values(tagNames.map((name, i) => ({ name, slug: slugs[i] })))
            .orIgnore()
            .execute();
          const tags = await manager.find(Tag, { where: { slug: In(slugs) } });
          await manager.insert(
            ContactTag,
            tags.map((tag) => ({
              contact: { id: contact.id },
              tag: { id: tag.id },
              appliedBy: 'api',
            })),
          );
        }
        return { id: contact.id };
      });
    } catch (error) {
      if (
        error instanceof QueryFailedError &&
        (error.driverError as { code?: string }).code === '23505'
      ) {
        throw new ConflictException(`A contact with email ${email} exists`);
      }
      throw error;
    }
  }

  async get(id: string): Promise<ContactView> {
    const contact = await this.dataSource.getRepository(Contact).findOne({
      where: { id },
      relations: { properties: true, contactTags: { tag: true } },
    });
    if (!contact) throw new NotFoundException(`Contact ${id} does not exist`);
    return {
      id: contact.id,
      email: contact.email,
      firstName: contact.firstName,
      lastName: contact.lastName,
      phone: contact.phone,
      timezone: contact.timezone,
      locale: contact.locale,
      lifecycleStage: contact.lifecycleStage,
      leadScore: contact.leadScore,
      status: contact.status,
      properties: Object.fromEntries(
        contact.properties.map((p) => [p.name, typedValue(p.value, p.type)]),
      ),
      tags: contact.contactTags.map((ct) => ct.tag.slug).sort(),
      createdAt: contact.createdAt.toISOString(),
      updatedAt: contact.updatedAt.toISOString(),
    };
  }
}
