// What the contacts service offers other projects of the workspace: only its
// operator view (projections and decryption for the operators' tools).
// Services never import each other; tools may.
export { contactsOperatorView, type ContactsOperatorView } from './operator';
