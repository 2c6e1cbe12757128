#!/bin/sh
# Set up, build, and run every test: the C unit tests, then the bats suite.
# Tests that need root or a controller this host lacks skip, not fail.
set -eu
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure
MCGEXEC="$(pwd)/${BUILD_DIR:-build}/mcgexec" bats tests/
