// What the contacts service relays to its Kafka topic (`contacts`): its
// contact and tag streams; email and tag reservations stay inside. The
// relay itself is the platform's (ServiceRuntime.startRelay).
//
// The events go out as stored: personal fields encrypted. Kafka keeps event
// topics forever, so a copy in clear there would outlive an erasure; this
// way an erased contact is as unreadable on the topic as in the store.
// Consumers that need a contact's personal data read it from this service.
export const CONTACTS_RELAYED_STREAMS = ['contact-', 'tag-'];
