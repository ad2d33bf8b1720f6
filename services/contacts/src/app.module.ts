// The contacts service's Nest module: its controllers, one folder per
// capability, and the handlers they call, given by value from the runtime
// (runtime.ts builds them). Health: /health answers while the process runs;
// /ready when the database answers and the read-model projection runs
// (serviceModule of @engagement/service-runtime adds both).
import { Module, type DynamicModule } from '@nestjs/common';
import { serviceModule } from '@engagement/service-runtime';
import { ActivitiesController } from './activities/activities.controller';
import { RecordActivityHandler } from './activities/record-activity.handler';
import { BulkImportController } from './bulk-import/bulk-import.controller';
import { ImportJobs } from './bulk-import/import-jobs.table';
import { ContactsQueryController } from './contacts/contacts-query.controller';
import { ContactsController } from './contacts/contacts.controller';
import { CreateContactHandler } from './contacts/create-contact.handler';
import { UpdateContactHandler } from './contacts/update-contact.handler';
import { DataKeyStore } from './personal-data/data-keys';
import { EraseContactHandler } from './personal-data/erase-contact.handler';
import { PersonalDataController } from './personal-data/personal-data.controller';
import type { ContactsRuntime } from './runtime';
import { ReadModelWaiter } from './shared/read-your-writes';
import { CONTACT_EVENT_STORE, IMPORT_WORKER, READ_MODEL_SOURCE } from './shared/tokens';
import { TagsController } from './tags/tags.controller';
import { TagsHandler } from './tags/tags.handler';

@Module({})
export class ContactsAppModule {
  static forRuntime(runtime: ContactsRuntime): DynamicModule {
    return serviceModule(ContactsAppModule, {
      readiness: runtime.base.readinessChecks(),
      controllers: [
        // Literal routes (/contacts/imports) before parameter routes (/contacts/:id).
        BulkImportController,
        ContactsController,
        ContactsQueryController,
        PersonalDataController,
        TagsController,
        ActivitiesController,
      ],
      providers: [
        { provide: READ_MODEL_SOURCE, useValue: runtime.readModel },
        { provide: CONTACT_EVENT_STORE, useValue: runtime.contactStore },
        { provide: IMPORT_WORKER, useValue: runtime.importWorker },
        { provide: ReadModelWaiter, useValue: runtime.waiter },
        { provide: CreateContactHandler, useValue: runtime.createContact },
        { provide: UpdateContactHandler, useValue: runtime.updateContact },
        { provide: RecordActivityHandler, useValue: runtime.recordActivity },
        { provide: EraseContactHandler, useValue: runtime.eraseContact },
        { provide: TagsHandler, useValue: runtime.tags },
        { provide: ImportJobs, useValue: runtime.importJobs },
        { provide: DataKeyStore, useValue: runtime.keys },
      ],
    });
  }
}
