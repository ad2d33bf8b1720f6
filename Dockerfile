# syntax=docker/dockerfile:1
# One image for every service of the platform (and the emulators, for a
# demo stack): the service is chosen at run time by SERVICE, e.g.
#   docker build -t engagement-platform .
#   docker run -e SERVICE=contacts ... engagement-platform
# Services run their TypeScript through @swc-node/register, as `npm start`
# does: it is a production dependency for that reason (it compiles each file
# once at load, with the decorator metadata NestJS needs), so the image holds
# what runs locally, with production dependencies only.

# 1. The workspace's package manifests alone, so the dependency layer is
#    rebuilt only when a manifest or the lockfile changes.
FROM node:24-bookworm-slim AS manifests
WORKDIR /src
COPY . .
RUN mkdir -p /manifests \
 && find . -name package.json -not -path '*/node_modules/*' -not -path './.data/*' \
      -exec sh -c 'mkdir -p "/manifests/$(dirname "$1")" && cp "$1" "/manifests/$1"' _ {} \;

# 2. Production dependencies (no test runners, linters or the `node`
#    package: the base image brings Node 24).
FROM node:24-bookworm-slim AS dependencies
WORKDIR /app
COPY --from=manifests /manifests/ ./
COPY package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error

# 3. The runtime: sources and dependencies, owned by root, run as `node`.
FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    SWC_NODE_PROJECT=/app/tsconfig.base.json
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY . .
USER node
# services/<SERVICE>/src/main.ts, or emulators/<name>/src/main.ts for SERVICE=emulators/<name>;
# telemetry preloaded as `npm start` does (on when OTEL_EXPORTER_OTLP_ENDPOINT is set).
ENV SERVICE=contacts
CMD ["sh", "-c", "case \"$SERVICE\" in */*) entry=\"$SERVICE/src/main.ts\" ;; *) entry=\"services/$SERVICE/src/main.ts\" ;; esac; exec node --disable-warning=TimeoutNegativeWarning -r @swc-node/register -r ./libs/observability/src/register.ts \"$entry\""]
