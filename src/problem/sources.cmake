# Losses, regularisers, parallel deterministic objective and gradient.
target_sources(asyncopt_objects PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/problem.cpp)
