# Readers and writers: LIBSVM text (plain/gzip/bzip2/xz), content hash, and
# the one safe output writer (atomic files, devices, FIFOs, descriptors).
target_sources(asyncopt_objects PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/decompress.cpp
  ${CMAKE_CURRENT_LIST_DIR}/labels.cpp
  ${CMAKE_CURRENT_LIST_DIR}/libsvm_reader.cpp
  ${CMAKE_CURRENT_LIST_DIR}/libsvm_part.cpp
  ${CMAKE_CURRENT_LIST_DIR}/libsvm_writer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/content_hash.cpp
  ${CMAKE_CURRENT_LIST_DIR}/output_file.cpp)
