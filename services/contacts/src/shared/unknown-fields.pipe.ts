// Refuses fields a DTO does not declare: the platform's, kept importable from here.
export { UnknownFieldsPipe } from '@engagement/service-runtime';
