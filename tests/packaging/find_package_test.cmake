# Copyright (c) James Kassemi, SC, US. All rights reserved.
# Packaging test: `cmake --install` the main build into a fresh prefix, then build and run
# consumer/ (find_package(ws_source 0.1 REQUIRED) + ws_source::ws_source) against that prefix.
#
#   cmake -DMAIN_BINARY_DIR=<main build> -DMAIN_SOURCE_DIR=<ws-source> -DCONSUMER_SOURCE_DIR=<consumer/>
#         -DINSTALL_PREFIX=<fresh dir> -DCONSUMER_BINARY_DIR=<fresh dir> ... -P find_package_test.cmake
# (the other -D options: see packaging_common.cmake)
include("${CMAKE_CURRENT_LIST_DIR}/packaging_common.cmake")

foreach(var IN ITEMS MAIN_BINARY_DIR MAIN_SOURCE_DIR CONSUMER_SOURCE_DIR INSTALL_PREFIX)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "${CMAKE_SCRIPT_MODE_FILE}: -D${var}=... is required")
  endif()
endforeach()

file(REMOVE_RECURSE "${INSTALL_PREFIX}")
set(install_args --install "${MAIN_BINARY_DIR}" --prefix "${INSTALL_PREFIX}")
if(CONFIG)
  list(APPEND install_args --config "${CONFIG}")
endif()
ws_packaging_run(install 120 "${CMAKE_COMMAND}" ${install_args})

# The package must be relocatable: nothing installed may name the source or build tree (the
# prefix itself lies in the build tree, so this also catches absolute prefix paths).
file(GLOB_RECURSE package_files "${INSTALL_PREFIX}/*.cmake")
if(NOT package_files)
  message(FATAL_ERROR "cmake --install put no package config (*.cmake) under ${INSTALL_PREFIX}")
endif()
foreach(f IN LISTS package_files)
  file(READ "${f}" text)
  foreach(tree IN ITEMS "${MAIN_SOURCE_DIR}" "${MAIN_BINARY_DIR}")
    string(FIND "${text}" "${tree}" at)
    if(NOT at EQUAL -1)
      message(FATAL_ERROR "installed ${f} names ${tree}: the package is not relocatable")
    endif()
  endforeach()
endforeach()

# No package registry: the consumer must find the package in INSTALL_PREFIX or nowhere.
ws_packaging_build_and_run("${CONSUMER_SOURCE_DIR}" consumer
                           "-DCMAKE_PREFIX_PATH=${INSTALL_PREFIX}"
                           -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON)

# And it did find that one (not some other ws-source installed on the machine).
file(STRINGS "${CONSUMER_BINARY_DIR}/CMakeCache.txt" found REGEX "^ws_source_DIR:")
string(REGEX REPLACE "^ws_source_DIR:[A-Z]+=" "" found "${found}")
file(REAL_PATH "${INSTALL_PREFIX}" real_prefix)
file(REAL_PATH "${found}" real_found)
cmake_path(IS_PREFIX real_prefix "${real_found}" found_in_prefix)
if(NOT found_in_prefix)
  message(FATAL_ERROR "the consumer found ws_source in '${found}', not under ${INSTALL_PREFIX}")
endif()
message(STATUS "find_package consumer OK (ws_source_DIR=${found})")
