# The message-passing engine: packets, transports, the master/worker engine.
target_sources(asyncopt_objects PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/thread_transport.cpp)
