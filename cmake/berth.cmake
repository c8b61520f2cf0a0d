# Warnings that apply to berth's own code only (generated code is built without them).
set(BERTH_WARNINGS -Wall -Wextra -Werror -Wno-unused-parameter)

# berth_library(NAME <name> ALIAS <alias> SOURCES ... PUBLIC ... PRIVATE ...)
function(berth_library)
  cmake_parse_arguments(ARG "" "NAME;ALIAS" "SOURCES;PUBLIC;PRIVATE" ${ARGN})
  add_library(${ARG_NAME} STATIC ${ARG_SOURCES})
  add_library(${ARG_ALIAS} ALIAS ${ARG_NAME})
  target_include_directories(${ARG_NAME} PUBLIC ${PROJECT_SOURCE_DIR})
  target_compile_options(${ARG_NAME} PRIVATE ${BERTH_WARNINGS})
  target_link_libraries(${ARG_NAME} PUBLIC ${ARG_PUBLIC} PRIVATE ${ARG_PRIVATE})
endfunction()

# berth_test(NAME <name> SOURCES ... LIBS ... [LABELS ...])
# A GoogleTest binary registered with ctest; tests run in parallel unless labelled serial.
function(berth_test)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_compile_options(${ARG_NAME} PRIVATE ${BERTH_WARNINGS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_LIBS} GTest::gmock GTest::gtest_main)
  add_test(NAME ${ARG_NAME} COMMAND ${ARG_NAME})
  set_tests_properties(${ARG_NAME} PROPERTIES LABELS "${ARG_LABELS}")
endfunction()
