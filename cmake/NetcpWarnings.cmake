# Warnings apply to our own targets only; imported targets (Asio, CLI11, doctest) are SYSTEM.
#
# -Wno-maybe-uninitialized: GCC 12 reports false positives at -O2 for values moved through
# std::variant, std::optional and tl::expected (seen in lib9p's read pipeline and libafs's
# callback decoder); -Wuninitialized still reports the certain cases.
function(netcp_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wimplicit-fallthrough
    -Wcast-align -Wunused -Woverloaded-virtual -Wformat=2)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
  endif()
  if(NETCP_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
