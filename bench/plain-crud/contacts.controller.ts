// POST /contacts and GET /contacts/:id.
import { Body, Controller, Get, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ContactsService } from './contacts.service';
import { CreateContactDto } from './create-contact.dto';

@Controller()
export class ContactsController {
  constructor(private readonly contacts: ContactsService) {}

  @Get('health')
  health() {
    return { status: 'ok' };
  }

  @Post('contacts')
  create(@Body() body: CreateContactDto) {
    return this.contacts.create(body);
  }

  @Get('contacts/:id')
  get(@Param('id', ParseUUIDPipe) id: string) {
    return this.contacts.get(id);
  }
}
