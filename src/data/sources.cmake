# Preprocessing, splitting, sharding, statistics and synthetic generators.
target_sources(asyncopt PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/preprocess.cpp
  ${CMAKE_CURRENT_LIST_DIR}/stats.cpp
  ${CMAKE_CURRENT_LIST_DIR}/generate.cpp)
