// Building blocks for the third-party API emulators under emulators/: an HTTP
// router, rolling-window rate limits, fault injection, request counters and a
// webhook sender with retries.
export * from './http-server';
export * from './rate-limiter';
export * from './faults';
export * from './request-stats';
export * from './webhook-sender';
export * from './env';
