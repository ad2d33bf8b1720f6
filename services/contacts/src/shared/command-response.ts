// What every command endpoint answers ({ id, position, revision }): the
// platform's, kept importable from here for the contacts controllers.
export { CommandResponse, commandResponse } from '@engagement/service-runtime';
