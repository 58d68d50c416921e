# asyncopt_apply_sanitizer(target): compile and link `target` with the
# sanitizer chosen by ASYNCOPT_SANITIZER (thread | address). "address" means
# AddressSanitizer + UndefinedBehaviorSanitizer, with UB made fatal.
function(asyncopt_apply_sanitizer target)
  if(ASYNCOPT_SANITIZER STREQUAL "thread")
    set(flags -fsanitize=thread -fno-omit-frame-pointer -g)
  elseif(ASYNCOPT_SANITIZER STREQUAL "address")
    set(flags -fsanitize=address,undefined -fno-sanitize-recover=undefined
              -fno-omit-frame-pointer -g)
  elseif(ASYNCOPT_SANITIZER STREQUAL "")
    return()
  else()
    message(FATAL_ERROR "ASYNCOPT_SANITIZER must be '', thread or address, not '${ASYNCOPT_SANITIZER}'")
  endif()
  target_compile_options(${target} PRIVATE ${flags})
  target_link_options(${target} PUBLIC ${flags})
endfunction()
