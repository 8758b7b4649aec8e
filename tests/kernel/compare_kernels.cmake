# Copyright (c) James Kassemi, SC, US. All rights reserved.
# cmake -DA=<dump exe> -DB=<dump exe> -DCMP=<kernel_compare exe> -DGOLDEN=<dir> -DN=<mutations> -DOUT=<dir>
#       -P compare_kernels.cmake
#
# A is the library built with the fallback kernel, B with haswell. Two comparisons:
#  0. the canonical fast path against the general On Demand path (A with and without it): every
#     frame's result compared as full text, errors included;
#  1. our value parsing: A and B under simdjson's normal run-time dispatch (same stage 1), every
#     frame's result compared as full text, errors included;
#  2. the whole parse: A with SIMDJSON_FORCE_IMPLEMENTATION=fallback (stage 1 too is the portable
#     code) against B. simdjson's portable stage 1 does not see an unclosed quote inside a value
#     that the parser skips (an unknown field, a skipped event), where the SIMD ones reject the
#     document. So the rule is: every frame B accepts, A accepts with the identical result; a
#     frame only A accepts is counted and reported (never rows that differ).

function(run_dump exe out env mode)
  execute_process(COMMAND ${CMAKE_COMMAND} -E env ${env} ${exe} ${GOLDEN} ${N} ${mode}
                  OUTPUT_FILE ${out} ERROR_VARIABLE err RESULT_VARIABLE rc)
  message(STATUS "${exe}: ${err}")
  if(rc EQUAL 77)
    message(STATUS "SKIP: ${err}")  # ctest SKIP_REGULAR_EXPRESSION matches this line
    set(skipped TRUE PARENT_SCOPE)
  elseif(NOT rc EQUAL 0)
    message(FATAL_ERROR "${exe} failed (${rc}): ${err}")
  endif()
endfunction()

function(compare a b what)
  execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${a} ${b} RESULT_VARIABLE same)
  if(NOT same EQUAL 0)
    execute_process(COMMAND diff ${a} ${b} OUTPUT_VARIABLE d)
    string(SUBSTRING "${d}" 0 3000 d)
    message(FATAL_ERROR "the kernels disagree (${what}):\n${d}")
  endif()
  file(SIZE ${a} size)
  message(STATUS "${what}: identical results (${size} bytes of output)")
endfunction()

set(skipped FALSE)
run_dump(${A} ${OUT}/kernel_A.txt --unset=SIMDJSON_FORCE_IMPLEMENTATION "")
run_dump(${B} ${OUT}/kernel_B.txt --unset=SIMDJSON_FORCE_IMPLEMENTATION "")
if(skipped)
  return()
endif()
run_dump(${A} ${OUT}/kernel_A_general.txt --unset=SIMDJSON_FORCE_IMPLEMENTATION general)
compare(${OUT}/kernel_A.txt ${OUT}/kernel_A_general.txt "canonical fast path vs general path")
compare(${OUT}/kernel_A.txt ${OUT}/kernel_B.txt "value parsing, fallback vs haswell")
run_dump(${A} ${OUT}/kernel_A_forced.txt SIMDJSON_FORCE_IMPLEMENTATION=fallback brief)
run_dump(${B} ${OUT}/kernel_B_brief.txt --unset=SIMDJSON_FORCE_IMPLEMENTATION brief)
execute_process(COMMAND ${CMP} ${OUT}/kernel_A_forced.txt ${OUT}/kernel_B_brief.txt
                OUTPUT_VARIABLE summary ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${err}")
endif()
message(STATUS "${summary}")
