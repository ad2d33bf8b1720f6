#!/usr/bin/env bash
# Scaffolds a library or service folder with the files every project has:
#   bash tools/new-project.sh lib event-store
#   bash tools/new-project.sh service contacts
set -euo pipefail
kind=$1 name=$2
case "$kind" in lib) dir=libs/$name tag=type:lib ;; service) dir=services/$name tag=type:service ;; *) echo "kind: lib|service" >&2; exit 2 ;; esac
mkdir -p "$dir/src"
cat > "$dir/package.json" <<JSON
{
  "name": "@engagement/$name",
  "version": "0.1.0",
  "private": true,
  "main": "src/index.ts",
  "scripts": {
    "test": "NODE_OPTIONS='--experimental-vm-modules --disable-warning=ExperimentalWarning' jest",
    "typecheck": "tsc -p tsconfig.json --noEmit",
    "lint": "eslint src"
  },
  "nx": { "tags": ["$tag"] }
}
JSON
cat > "$dir/tsconfig.json" <<JSON
{
  "extends": "../../tsconfig.base.json",
  "include": ["src/**/*.ts", "test/**/*.ts"]
}
JSON
cat > "$dir/jest.config.js" <<JS
module.exports = { ...require('../../jest.preset.js'), displayName: '$name', rootDir: __dirname };
JS
echo "created $dir"
