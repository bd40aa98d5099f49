# Warnings apply to our own targets only; imported targets (Asio, CLI11, doctest) are SYSTEM.
function(netcp_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wimplicit-fallthrough
    -Wcast-align -Wunused -Woverloaded-virtual -Wformat=2)
  if(NETCP_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
