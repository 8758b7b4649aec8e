# Copyright (c) James Kassemi, SC, US. All rights reserved.
# Warnings, sanitizers and simdjson kernel flags, as functions that targets opt into.

# ws_source_kernel_flags(<kernel> <out-var>): the compile options that make simdjson's builtin
# implementation <kernel> in a translation unit.
function(ws_source_kernel_flags kernel out)
  if(kernel STREQUAL "fallback")
    set(flags "")
  elseif(kernel STREQUAL "westmere")
    set(flags -msse4.2 -mpclmul -mpopcnt)
  elseif(kernel STREQUAL "haswell")
    set(flags -mavx2 -mbmi -mbmi2 -mpclmul -mlzcnt -mpopcnt)
  elseif(kernel STREQUAL "icelake")
    set(flags -march=icelake-server)
  elseif(kernel STREQUAL "native")
    set(flags -march=native)
  else()
    message(FATAL_ERROR "WS_SOURCE_SIMDJSON_KERNEL='${kernel}': expected fallback, westmere, haswell, icelake or native")
  endif()
  set(${out} "${flags}" PARENT_SCOPE)
endfunction()

# ws_source_set_warnings(<target>): -Wall -Wextra -Wpedantic (and friends), -Werror on request.
function(ws_source_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
                                           -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual)
  if(WS_SOURCE_WARNINGS_AS_ERRORS)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

if(WS_SOURCE_SANITIZE)
  if(NOT WS_SOURCE_SANITIZE MATCHES "^(address,undefined|undefined,address|address|undefined|thread)$")
    message(FATAL_ERROR "WS_SOURCE_SANITIZE='${WS_SOURCE_SANITIZE}': expected address,undefined or thread")
  endif()
  add_compile_options(-fsanitize=${WS_SOURCE_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${WS_SOURCE_SANITIZE})
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC's manual: the sanitizers' instrumentation makes -Wmaybe-uninitialized give false
    # positives (std::variant of a struct with a defaulted member, at -O1). The uninstrumented
    # -Werror Release build keeps the warning.
    add_compile_options(-Wno-maybe-uninitialized)
  endif()
  if(WS_SOURCE_SANITIZE STREQUAL "thread" AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # Asio's handler fences (std::atomic_thread_fence) are not modelled by TSan; GCC says so
    # once per instantiation (-Wtsan). The tests run each io_context on one thread, and posts
    # from other threads go through the scheduler's mutex, which TSan does model.
    add_compile_options(-Wno-tsan)
  endif()
endif()
