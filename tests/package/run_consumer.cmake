# The library alone, as README "## Library" tells a user to build it (cmake -P):
# configures SOURCE_DIR with the CLI, tests and benchmarks off and Boost,
# GoogleTest and Google Benchmark made unfindable (a REQUIRED find_package of
# any of them fails the configure), builds and installs it into
# WORK_DIR/prefix, checks the installed tree, then builds CONSUMER_SRC against
# it with find_package(asyncopt) and runs it.
# Inputs: SOURCE_DIR, CONSUMER_SRC, WORK_DIR, GENERATOR, CXX_COMPILER, TBB_DIR,
# VERSION (MAJOR.MINOR.PATCH), SOVERSION, READELF, JOBS.
cmake_minimum_required(VERSION 3.25)
file(REMOVE_RECURSE "${WORK_DIR}")
function(fail message)  # WORK_DIR goes also on failure: the report has the output
  file(REMOVE_RECURSE "${WORK_DIR}")
  message(FATAL_ERROR "${message}")
endfunction()
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    fail("command failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(run_output "${out}" PARENT_SCOPE)
endfunction()

set(prefix "${WORK_DIR}/prefix")
run(${CMAKE_COMMAND} -S "${SOURCE_DIR}" -B "${WORK_DIR}/lib-build" -G "${GENERATOR}"
    -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}" "-DTBB_DIR=${TBB_DIR}"
    "-DCMAKE_INSTALL_PREFIX=${prefix}"
    -DASYNCOPT_BUILD_CLI=OFF -DASYNCOPT_BUILD_TESTS=OFF -DASYNCOPT_BUILD_BENCH=OFF
    -DCMAKE_DISABLE_FIND_PACKAGE_Boost=ON -DCMAKE_DISABLE_FIND_PACKAGE_GTest=ON
    -DCMAKE_DISABLE_FIND_PACKAGE_benchmark=ON)
run(${CMAKE_COMMAND} --build "${WORK_DIR}/lib-build" --parallel ${JOBS})
run(${CMAKE_COMMAND} --install "${WORK_DIR}/lib-build")

# The installed tree: the versioned library and its two links, headers,
# package files; no command-line tool.
set(problems "")
file(GLOB_RECURSE installed RELATIVE "${prefix}" LIST_DIRECTORIES FALSE "${prefix}/*")
foreach(want "libasyncopt.so.${VERSION}" "libasyncopt.so.${SOVERSION}" "libasyncopt.so"
        "include/asyncopt/asyncopt.hpp" "include/asyncopt/version.hpp"
        "cmake/asyncopt/asyncoptConfig.cmake" "cmake/asyncopt/asyncoptConfigVersion.cmake")
  string(REPLACE "." "\\." re "${want}")
  if(NOT installed MATCHES "(^|;|/)${re}(;|$)")
    list(APPEND problems "not installed: ${want}")
  endif()
endforeach()
if(installed MATCHES "(^|;)bin/")
  list(APPEND problems "the library-alone install has programs: ${installed}")
endif()
if(installed MATCHES "(^|;)[^;]*libasyncopt_internal")
  list(APPEND problems "the internal library was installed: ${installed}")
endif()
if(problems)
  list(JOIN problems "\n  " report)
  fail("installed tree ${prefix}:\n  ${report}\nfiles: ${installed}")
endif()

string(REPLACE "." ";" parts "${VERSION}")
list(GET parts 0 major)
list(GET parts 1 minor)
list(GET parts 2 patch)
run(${CMAKE_COMMAND} -S "${CONSUMER_SRC}" -B "${WORK_DIR}/consumer-build" -G "${GENERATOR}"
    -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
    "-DCMAKE_PREFIX_PATH=${prefix}"
    -DEXPECTED_MAJOR=${major} -DEXPECTED_MINOR=${minor} -DEXPECTED_PATCH=${patch})
run(${CMAKE_COMMAND} --build "${WORK_DIR}/consumer-build")
file(STRINGS "${WORK_DIR}/consumer-build/CMakeCache.txt" found REGEX "^asyncopt_DIR:")
if(NOT found MATCHES "=${prefix}/")
  fail("the consumer found asyncopt outside ${prefix}: ${found}")
endif()

# The consumer runs against the shared library (not a static copy).
run(${READELF} -d "${WORK_DIR}/consumer-build/consumer")
if(NOT run_output MATCHES "\\(NEEDED\\)[^\n]*\\[libasyncopt\\.so\\.${SOVERSION}\\]")
  fail("the consumer does not load libasyncopt.so.${SOVERSION}:\n${run_output}")
endif()
run("${WORK_DIR}/consumer-build/consumer")
message(STATUS "${run_output}")
file(REMOVE_RECURSE "${WORK_DIR}")
