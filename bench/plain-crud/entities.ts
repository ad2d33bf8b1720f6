// The seed's contacts, contact_properties, tags and contact_tags tables as
// TypeORM entities, the way a team without event sourcing would map them.
// The tables themselves come from the contacts service's migration (see
// app.module.ts), so both paths write exactly the same columns and indexes;
// the entities only name the columns this service reads or writes.
import {
  Column,
  CreateDateColumn,
  Entity,
  JoinColumn,
  ManyToOne,
  OneToMany,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';

@Entity({ name: 'contacts' })
export class Contact {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text', unique: true })
  email!: string;

  @Column({ type: 'text', nullable: true })
  phone!: string | null;

  @Column({ name: 'first_name', type: 'text', nullable: true })
  firstName!: string | null;

  @Column({ name: 'last_name', type: 'text', nullable: true })
  lastName!: string | null;

  @Column({ name: 'external_mappings', type: 'jsonb', default: () => "'[]'::jsonb" })
  externalMappings!: unknown[];

  @Column({ type: 'text', default: 'America/Los_Angeles' })
  timezone!: string;

  @Column({ type: 'text', default: 'en' })
  locale!: string;

  @Column({ name: 'avatar_url', type: 'text', nullable: true })
  avatarUrl!: string | null;

  @Column({ type: 'jsonb', default: () => "'{}'::jsonb" })
  consent!: Record<string, unknown>;

  @Column({ name: 'lifecycle_stage', type: 'text', default: 'lead' })
  lifecycleStage!: string;

  @Column({ name: 'lead_score', type: 'integer', default: 0 })
  leadScore!: number;

  @Column({ name: 'last_activity_at', type: 'timestamptz', nullable: true })
  lastActivityAt!: Date | null;

  @Column({ type: 'text', default: 'active' })
  status!: string;

  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @OneToMany(() => ContactProperty, (property) => property.contact)
  properties!: ContactProperty[];

  @OneToMany(() => ContactTag, (contactTag) => contactTag.contact)
  contactTags!: ContactTag[];
}

@Entity({ name: 'contact_properties' })
export class ContactProperty {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @ManyToOne(() => Contact, (contact) => contact.properties, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'contact_id' })
  contact!: Contact;

  @Column({ name: 'property_name', type: 'text' })
  name!: string;

  @Column({ name: 'property_value', type: 'text', nullable: true })
  value!: string | null;

  @Column({ name: 'property_type', type: 'text', default: 'string' })
  type!: string;

  @Column({ type: 'text', default: 'manual' })
  source!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}

@Entity({ name: 'tags' })
export class Tag {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text', unique: true })
  name!: string;

  @Column({ type: 'text', unique: true })
  slug!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}

@Entity({ name: 'contact_tags' })
export class ContactTag {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @ManyToOne(() => Contact, (contact) => contact.contactTags, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'contact_id' })
  contact!: Contact;

  @ManyToOne(() => Tag, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tag_id' })
  tag!: Tag;

  @CreateDateColumn({ name: 'applied_at', type: 'timestamptz' })
  appliedAt!: Date;

  @Column({ name: 'applied_by', type: 'text', nullable: true })
  appliedBy!: string | null;
}

export const ENTITIES = [Contact, ContactProperty, Tag, ContactTag];
