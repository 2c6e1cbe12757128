#!/bin/sh
# Configure and build into build/ (or $BUILD_DIR), passing any arguments on
# to cmake's configure step: BUILD_DIR=build-dynamic scripts/build.sh
# -DMCGEXEC_STATIC=OFF.  Every build of the scripts goes through here.
set -eu
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" "$@" >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)"
