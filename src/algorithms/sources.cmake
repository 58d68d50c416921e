# One file pair per algorithm.
target_sources(asyncopt_objects PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/reference.cpp
  ${CMAKE_CURRENT_LIST_DIR}/optimum_cache.cpp
  ${CMAKE_CURRENT_LIST_DIR}/hogwild.cpp
  ${CMAKE_CURRENT_LIST_DIR}/svrg.cpp
  ${CMAKE_CURRENT_LIST_DIR}/soda.cpp
  ${CMAKE_CURRENT_LIST_DIR}/dissvrg.cpp
  ${CMAKE_CURRENT_LIST_DIR}/spars_ams.cpp
  ${CMAKE_CURRENT_LIST_DIR}/decentralized.cpp)
