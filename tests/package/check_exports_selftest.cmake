# The export checker's own test (cmake -P): check_exports.cmake must accept a
# public-only symbol list and reject, by name, each kind of leak, a missing
# public symbol and a wrong SONAME. Inputs: CHECKER, HEADERS_DIR, WORK_DIR.
cmake_minimum_required(VERSION 3.25)
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

set(good [[
00000000000a1b20 T asyncopt::Solve(asyncopt::Dataset const&, asyncopt::Problem const&, asyncopt::Options const&)
00000000000a1c20 T asyncopt::ReadLibsvm(std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> > const&, asyncopt::ReadOptions const&)
00000000000a1c40 T asyncopt::ParseLibsvm(std::basic_string_view<char, std::char_traits<char> >, std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> > const&, asyncopt::ReadOptions const&)
00000000000a1c60 T asyncopt::ContentHash(asyncopt::Dataset const&)
00000000000a1c80 T asyncopt::GenerateWangniSvm(asyncopt::WangniSvmOptions const&)
00000000000a1ca0 T asyncopt::SaveModel(asyncopt::LinearModel const&, std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> > const&)
00000000000a1cc0 T asyncopt::Evaluate(std::vector<double, std::allocator<double> > const&, std::vector<double, std::allocator<double> > const&)
00000000000a1ce0 T asyncopt::SolveReference(asyncopt::Dataset const&, asyncopt::Problem const&, asyncopt::ReferenceOptions const&)
00000000000a1d00 T asyncopt::OptimumCache::OptimumCache(std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >)
00000000000a1d20 T asyncopt::Apply(asyncopt::Preprocessing const&, asyncopt::Dataset&)
00000000000a1d40 T asyncopt::Objective(asyncopt::Dataset const&, asyncopt::Problem const&, std::span<double const, 18446744073709551615ul>, int)
00000000000a1d60 T asyncopt::ToString(asyncopt::SolverKind)
00000000000a1d80 T asyncopt::Options::IsValid(std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >*) const
00000000000a1da0 T asyncopt::Result::BriefReport[abi:cxx11]() const
00000000000a1dc0 T asyncopt::Problem::Validate() const
00000000000a1de0 T asyncopt::GetBuildInfo()
00000000000a1e00 W asyncopt::Error::~Error()
00000000000c0d10 V typeinfo for asyncopt::Error
00000000000c0d30 V typeinfo name for asyncopt::Error
00000000000c0d50 V vtable for asyncopt::Error
]])
set(soname [[
 0x000000000000000e (SONAME)             Library soname: [libasyncopt.so.0.1]
]])
set(leaks [[
00000000000a2000 T asyncopt::io::ReadChunk(char const*, long)
00000000000a2020 W tbb::detail::d1::start_for<tbb::detail::d1::blocked_range<long>, Body, tbb::detail::d1::auto_partitioner const>::execute(tbb::detail::d1::execution_data&)
00000000000a2040 W std::vector<double, std::allocator<double> >::_M_default_append(unsigned long)
00000000000a2060 T asyncopt::(anonymous namespace)::ParseLine(char const*)
00000000000a2080 T asyncopt::SecretHelper(int)
00000000000c0d70 V typeinfo for asyncopt::io::ReaderState
00000000000a20a0 T asyncopt::Solve(asyncopt::Dataset const&, asyncopt::Problem const&, asyncopt::Options const&)::{lambda()#1}::operator()() const
]])

function(check name symbols dynamic expect_ok)
  file(WRITE "${WORK_DIR}/${name}.nm" "${symbols}")
  file(WRITE "${WORK_DIR}/${name}.dyn" "${dynamic}")
  execute_process(COMMAND ${CMAKE_COMMAND} -DHEADERS_DIR=${HEADERS_DIR} -DSOVERSION=0.1
                          -DNM_OUTPUT=${WORK_DIR}/${name}.nm -DREADELF_OUTPUT=${WORK_DIR}/${name}.dyn
                          -P ${CHECKER}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  set(out "${out}${err}")
  if(expect_ok AND NOT rc EQUAL 0)
    message(FATAL_ERROR "${name}: the checker rejected a public-only list:\n${out}")
  elseif(NOT expect_ok AND rc EQUAL 0)
    message(FATAL_ERROR "${name}: the checker accepted a bad list:\n${out}")
  endif()
  foreach(want IN LISTS ARGN)
    string(FIND "${out}" "${want}" at)
    if(at EQUAL -1)
      message(FATAL_ERROR "${name}: the checker's report does not say '${want}':\n${out}")
    endif()
  endforeach()
  message(STATUS "${name}: as expected")
endfunction()

check(public_only "${good}" "${soname}" TRUE "20 exported symbols, all public API")
check(leaks "${good}${leaks}" "${soname}" FALSE
  "not public API: asyncopt::io::ReadChunk"
  "not public API: tbb::detail::d1::start_for"
  "not public API: std::vector<double"
  "not public API (local entity): asyncopt::(anonymous namespace)::ParseLine"
  "('SecretHelper' is in no public header): asyncopt::SecretHelper(int)"
  "not public API: typeinfo for asyncopt::io::ReaderState"
  "not public API (local entity): asyncopt::Solve(asyncopt::Dataset const&, asyncopt::Problem const&, asyncopt::Options const&)::{lambda()#1}"
  "7 problem(s)")
string(REGEX REPLACE "[^\n]*asyncopt::Solve\\([^\n]*\n" "" no_solve "${good}")
string(REGEX REPLACE "[^\n]*typeinfo for asyncopt::Error\n" "" no_solve "${no_solve}")
check(missing "${no_solve}" "${soname}" FALSE
  "missing public symbol: asyncopt::Solve(" "missing public symbol: typeinfo for asyncopt::Error"
  "2 problem(s)")
string(REPLACE "libasyncopt.so.0.1" "libasyncopt.so" unversioned "${soname}")
check(soname "${good}" "${unversioned}" FALSE
  "SONAME is libasyncopt.so, expected libasyncopt.so.0.1")
check(no_soname "${good}" " 0x0000000000000001 (NEEDED)  Shared library: [libtbb.so.12]\n" FALSE
  "no SONAME (expected libasyncopt.so.0.1)")

file(REMOVE_RECURSE "${WORK_DIR}")
