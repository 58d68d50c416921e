# The solver table and the solver option table: what Solve dispatches
# through, and where option ranges, help and users are written once.
target_sources(asyncopt_objects PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/option_table.cpp
  ${CMAKE_CURRENT_LIST_DIR}/solver_table.cpp)
