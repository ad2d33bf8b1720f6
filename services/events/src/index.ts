// What the events service offers other projects of the workspace: only its
// operator view (projections and readable events for the operators' tools).
// Services never import each other; tools may.
export { eventsProjections, eventsReadable } from './operator';
