# Copyright (c) James Kassemi, SC, US. All rights reserved.
# Helpers shared by find_package_test.cmake and add_subdirectory_test.cmake (run with
# `cmake -P`; the variables below come from tests/packaging/CMakeLists.txt as -D options).
#
#   CONSUMER_BINARY_DIR  fresh build directory of the consumer (deleted first)
#   CONFIG               the main build's configuration ($<CONFIG>); may be empty
#   GENERATOR            generator for the consumer ("Ninja"), empty for CMake's default
#   MAKE_PROGRAM         CMAKE_MAKE_PROGRAM for GENERATOR, may be empty
#   CXX_COMPILER         the main build's CMAKE_CXX_COMPILER
#   CXX_FLAGS            the main build's CMAKE_CXX_FLAGS
#   EXE_LINKER_FLAGS     the main build's CMAKE_EXE_LINKER_FLAGS
#   SANITIZE             sanitizers for the consumer, the main build's WS_SOURCE_SANITIZE (empty: none)
#   SIMDJSON_DIR         the main build's simdjson_DIR, so the consumer finds the same simdjson
#   EXE_SUFFIX           CMAKE_EXECUTABLE_SUFFIX
cmake_minimum_required(VERSION 3.22)

foreach(var IN ITEMS CONSUMER_BINARY_DIR CXX_COMPILER)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "${CMAKE_SCRIPT_MODE_FILE}: -D${var}=... is required")
  endif()
endforeach()

# An inherited DESTDIR would send `cmake --install` somewhere else than --prefix.
unset(ENV{DESTDIR})

# ws_packaging_run(<step> <timeout-seconds> <command>...): runs the command and stops the test
# with its full output when it fails or times out; leaves the output in WS_PACKAGING_OUTPUT.
function(ws_packaging_run step timeout)
  list(JOIN ARGN " " shown)
  message(STATUS "[${step}] ${shown}")
  execute_process(COMMAND ${ARGN}
                  RESULT_VARIABLE rc
                  OUTPUT_VARIABLE out
                  ERROR_VARIABLE err
                  TIMEOUT ${timeout})
  if(NOT rc STREQUAL "0")
    message(FATAL_ERROR "packaging test step '${step}' failed (exit: ${rc})\n"
                        "command: ${shown}\n"
                        "--- stdout ---\n${out}\n--- stderr ---\n${err}")
  endif()
  set(WS_PACKAGING_OUTPUT "${out}${err}" PARENT_SCOPE)
endfunction()

# ws_packaging_configure_args(<out-var>): the -G / -D options that make a consumer build like
# the main build (compiler, configuration, flags, sanitizers, simdjson).
function(ws_packaging_configure_args out)
  set(args "")
  if(GENERATOR)
    list(APPEND args -G "${GENERATOR}")
    if(MAKE_PROGRAM)
      list(APPEND args "-DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM}")
    endif()
  endif()
  list(APPEND args "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}")
  if(CONFIG)
    list(APPEND args "-DCMAKE_BUILD_TYPE=${CONFIG}")
  endif()
  set(cxx_flags "${CXX_FLAGS}")
  set(link_flags "${EXE_LINKER_FLAGS}")
  if(SANITIZE)
    # The same flags cmake/WsSourceOptions.cmake adds to every target of the main build: an
    # instrumented libws_source.a only links into an instrumented program.
    string(APPEND cxx_flags " -fsanitize=${SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all")
    string(APPEND link_flags " -fsanitize=${SANITIZE}")
  endif()
  string(STRIP "${cxx_flags}" cxx_flags)
  string(STRIP "${link_flags}" link_flags)
  list(APPEND args "-DCMAKE_CXX_FLAGS=${cxx_flags}" "-DCMAKE_EXE_LINKER_FLAGS=${link_flags}")
  if(SIMDJSON_DIR)
    list(APPEND args "-Dsimdjson_DIR=${SIMDJSON_DIR}")
  endif()
  set(${out} "${args}" PARENT_SCOPE)
endfunction()

# ws_packaging_build_and_run(<source-dir> <exe-name> <extra configure args>...): configures
# <source-dir> into a fresh CONSUMER_BINARY_DIR, builds it and runs bin/<exe-name>.
function(ws_packaging_build_and_run source_dir exe)
  file(REMOVE_RECURSE "${CONSUMER_BINARY_DIR}")
  ws_packaging_configure_args(args)
  ws_packaging_run(configure 120 "${CMAKE_COMMAND}" -S "${source_dir}" -B "${CONSUMER_BINARY_DIR}" ${args} ${ARGN})
  set(build_args --build "${CONSUMER_BINARY_DIR}" --parallel)
  if(CONFIG)
    list(APPEND build_args --config "${CONFIG}")
  endif()
  ws_packaging_run(build 1200 "${CMAKE_COMMAND}" ${build_args})
  set(program "${CONSUMER_BINARY_DIR}/bin/${exe}${EXE_SUFFIX}")
  if(NOT EXISTS "${program}")
    message(FATAL_ERROR "the build succeeded but made no ${program}")
  endif()
  ws_packaging_run(run 60 "${program}")
  message(STATUS "${exe} output:\n${WS_PACKAGING_OUTPUT}")
endfunction()
