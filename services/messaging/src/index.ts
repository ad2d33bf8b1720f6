// What the messaging service offers other projects of the workspace: only
// its operator view (projections for the operators' tools). Services never
// import each other; tools may.
export { messagingProjections } from './operator';
