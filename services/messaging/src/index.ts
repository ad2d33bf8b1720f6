// What the messaging service offers other projects of the workspace: only
// its operator view (projections and readable events for the operators' tools). Services never
// import each other; tools may.
export { messagingProjections, messagingReadable } from './operator';
