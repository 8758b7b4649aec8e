# Copyright (c) James Kassemi, SC, US. All rights reserved.
# cmake -DA=<dump exe> -DB=<dump exe> -DGOLDEN=<dir> -DN=<mutations> -DOUT=<dir> -P compare_kernels.cmake
foreach(side A B)
  execute_process(COMMAND ${${side}} ${GOLDEN} ${N} OUTPUT_FILE ${OUT}/kernel_${side}.txt ERROR_VARIABLE err
                  RESULT_VARIABLE rc)
  message(STATUS "${${side}}: ${err}")
  if(rc EQUAL 77)
    message(STATUS "SKIP: ${err}")
    # ctest SKIP_REGULAR_EXPRESSION matches this line
    return()
  elseif(NOT rc EQUAL 0)
    message(FATAL_ERROR "${${side}} failed (${rc}): ${err}")
  endif()
endforeach()
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${OUT}/kernel_A.txt ${OUT}/kernel_B.txt RESULT_VARIABLE same)
if(NOT same EQUAL 0)
  execute_process(COMMAND diff ${OUT}/kernel_A.txt ${OUT}/kernel_B.txt OUTPUT_VARIABLE d)
  string(SUBSTRING "${d}" 0 3000 d)
  message(FATAL_ERROR "the kernels disagree:\n${d}")
endif()
file(SIZE ${OUT}/kernel_A.txt size)
message(STATUS "identical results (${size} bytes of output)")
