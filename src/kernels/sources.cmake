# The kernels are headers but for the dense loops compiled for two
# instruction sets (dense_simd.hpp). -fno-math-errno lets std::sqrt
# vectorise (nothing there reads errno).
target_sources(asyncopt_objects PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/dense_simd.cpp)
set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/dense_simd.cpp PROPERTIES COMPILE_OPTIONS -fno-math-errno)
