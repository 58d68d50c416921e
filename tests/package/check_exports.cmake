# Checks what a shared libasyncopt exports (cmake -P). Fails, listing every
# offender, when
#  * an exported symbol is not public API: public API is namespace asyncopt,
#    each name on the way to the symbol starting with an upper-case letter and
#    spelled in a public header (include/asyncopt/*.hpp), plus the typeinfo,
#    typeinfo name and vtable of asyncopt::Error; anything in asyncopt::io::,
#    ::algorithms::, an anonymous namespace, a lambda, tbb::, std:: ... is not;
#  * one of the REQUIRED public symbols below is missing;
#  * the SONAME is not libasyncopt.so.<SOVERSION>.
# Inputs: HEADERS_DIR, SOVERSION and either LIBRARY (with NM and READELF) or,
# for the checker's own test, NM_OUTPUT and READELF_OUTPUT (files holding the
# output of `nm -D --defined-only -C` and `readelf -d`).
cmake_minimum_required(VERSION 3.25)
foreach(var HEADERS_DIR SOVERSION)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_exports.cmake: ${var} is not set")
  endif()
endforeach()

if(DEFINED LIBRARY)
  execute_process(COMMAND ${NM} -D --defined-only -C ${LIBRARY}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE symbols ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${NM} -D --defined-only -C ${LIBRARY} failed (${rc}): ${err}")
  endif()
  execute_process(COMMAND ${READELF} -d ${LIBRARY}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE dynamic ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${READELF} -d ${LIBRARY} failed (${rc}): ${err}")
  endif()
  set(what "${LIBRARY}")
else()
  file(READ "${NM_OUTPUT}" symbols)
  file(READ "${READELF_OUTPUT}" dynamic)
  set(what "${NM_OUTPUT}")
endif()

# Every identifier the public headers spell.
file(GLOB headers "${HEADERS_DIR}/*.hpp")
if(NOT headers)
  message(FATAL_ERROR "no public headers in ${HEADERS_DIR}")
endif()
set(header_text "")
foreach(h IN LISTS headers)
  file(READ "${h}" text)
  string(APPEND header_text "${text}\n")
endforeach()
string(REGEX MATCHALL "[A-Za-z_][A-Za-z0-9_]*" header_words "${header_text}")
list(REMOVE_DUPLICATES header_words)

set(allowed_special
  "typeinfo for asyncopt::Error" "typeinfo name for asyncopt::Error" "vtable for asyncopt::Error")
# One per public header, of each kind the version script must let through:
# free functions, overloads, member functions, constructors, the typeinfo.
set(required
  "asyncopt::Solve(" "asyncopt::ReadLibsvm(" "asyncopt::ParseLibsvm(" "asyncopt::ContentHash("
  "asyncopt::GenerateWangniSvm(" "asyncopt::SaveModel(" "asyncopt::Evaluate("
  "asyncopt::SolveReference(" "asyncopt::OptimumCache::OptimumCache(" "asyncopt::Apply("
  "asyncopt::Objective(" "asyncopt::ToString(asyncopt::SolverKind)"
  "asyncopt::Options::IsValid(" "asyncopt::Result::BriefReport"
  "asyncopt::Problem::Validate() const" "asyncopt::GetBuildInfo()"
  "typeinfo for asyncopt::Error")

string(REPLACE ";" "\\;" symbols "${symbols}")
string(REPLACE "\n" ";" lines "${symbols}")
set(bad "")
set(names "")
foreach(line IN LISTS lines)
  if(line STREQUAL "")
    continue()
  endif()
  if(NOT line MATCHES "^[0-9a-fA-F]* *[A-Za-z] (.+)$")
    list(APPEND bad "unparsed nm line: ${line}")
    continue()
  endif()
  set(name "${CMAKE_MATCH_1}")
  list(APPEND names "${name}")
  if(name IN_LIST allowed_special)
    continue()
  endif()
  if(name MATCHES "\\(anonymous namespace\\)|{lambda|\\[clone")
    list(APPEND bad "not public API (local entity): ${name}")
    continue()
  endif()
  if(NOT name MATCHES "^asyncopt::[A-Z]")
    list(APPEND bad "not public API: ${name}")
    continue()
  endif()
  # The qualified name before the parameters or template arguments:
  # asyncopt::Options::IsValid(...) -> Options, IsValid.
  string(REGEX MATCH "^[A-Za-z0-9_:~]+" qualified "${name}")
  string(REPLACE "::" ";" parts "${qualified}")
  list(REMOVE_AT parts 0)  # asyncopt
  foreach(part IN LISTS parts)
    string(REGEX REPLACE "^~" "" part "${part}")
    if(NOT part MATCHES "^[A-Za-z_]" OR NOT part IN_LIST header_words)
      list(APPEND bad "not public API ('${part}' is in no public header): ${name}")
      break()
    endif()
  endforeach()
endforeach()

foreach(want IN LISTS required)
  set(found FALSE)
  foreach(name IN LISTS names)
    string(FIND "${name}" "${want}" at)
    if(at EQUAL 0)
      set(found TRUE)
      break()
    endif()
  endforeach()
  if(NOT found)
    list(APPEND bad "missing public symbol: ${want}...")
  endif()
endforeach()

set(expected_soname "libasyncopt.so.${SOVERSION}")
if(NOT dynamic MATCHES "\\(SONAME\\)[^\n]*\\[([^]\n]*)\\]")
  list(APPEND bad "no SONAME (expected ${expected_soname})")
elseif(NOT CMAKE_MATCH_1 STREQUAL expected_soname)
  list(APPEND bad "SONAME is ${CMAKE_MATCH_1}, expected ${expected_soname}")
endif()

list(LENGTH names count)
if(bad)
  list(LENGTH bad nbad)
  list(JOIN bad "\n    " report)
  # Indented lines reach the log verbatim (message() wraps the others).
  message(FATAL_ERROR "export check failed:\n  ${what}\n"
                      "  ${nbad} problem(s) among ${count} exported symbols:\n    ${report}")
endif()
message(STATUS "${what}: ${count} exported symbols, all public API; SONAME ${expected_soname}")
