# Copyright (c) James Kassemi, SC, US. All rights reserved.
# Packaging test: build and run subdir_consumer/, a host project that add_subdirectory()s
# ws-source; its CMakeLists.txt fails the configure if ws-source, as a subproject, adds its
# tests, examples, benchmarks or install rules.
#
#   cmake -DWS_SOURCE_DIR=<ws-source> -DCONSUMER_SOURCE_DIR=<subdir_consumer/>
#         -DCONSUMER_BINARY_DIR=<fresh dir> ... -P add_subdirectory_test.cmake
# (the other -D options: see packaging_common.cmake)
include("${CMAKE_CURRENT_LIST_DIR}/packaging_common.cmake")

foreach(var IN ITEMS WS_SOURCE_DIR CONSUMER_SOURCE_DIR)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "${CMAKE_SCRIPT_MODE_FILE}: -D${var}=... is required")
  endif()
endforeach()

set(extra "-DWS_SOURCE_DIR=${WS_SOURCE_DIR}")
if(KERNEL)
  # Build the vendored copy for the same simdjson kernel as the main build.
  list(APPEND extra "-DWS_SOURCE_SIMDJSON_KERNEL=${KERNEL}")
endif()
# Compiled without optimisation or debug information, whatever the main build's configuration:
# this test proves that a host can vendor ws-source, which the optimiser has no part in, and the
# Beast translation units take about half the time at -O0 (the Release build of the same sources
# is the main build's).
set(CONFIG Debug)
list(APPEND extra "-DCMAKE_CXX_FLAGS_DEBUG=-O0")
ws_packaging_build_and_run("${CONSUMER_SOURCE_DIR}" subdir_consumer ${extra})
message(STATUS "add_subdirectory consumer OK")
