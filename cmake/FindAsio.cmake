# Standalone Asio (Debian's libasio-dev) ships neither a CMake config nor a .pc file,
# so we locate the header ourselves and build the library part once (see asio_impl.cpp):
# ASIO_SEPARATE_COMPILATION keeps every other translation unit from compiling Asio's
# implementation again, which matters on a 2-core CI machine.
# ASIO_DISABLE_STD_ALIGNED_ALLOC: Asio 1.22 decides between aligned_alloc and operator new
# from _GLIBCXX_HAVE_ALIGNED_ALLOC, which is defined only if a libstdc++ header came first;
# translation units with different include orders then free with the wrong function
# (AddressSanitizer: alloc-dealloc-mismatch). Pinning the choice keeps every unit alike.
find_path(Asio_INCLUDE_DIR asio.hpp)
if(Asio_INCLUDE_DIR AND EXISTS "${Asio_INCLUDE_DIR}/asio/version.hpp")
  file(STRINGS "${Asio_INCLUDE_DIR}/asio/version.hpp" _asio_version_line REGEX "^#define ASIO_VERSION [0-9]+")
  string(REGEX REPLACE "^#define ASIO_VERSION ([0-9]+).*" "\\1" _asio_version_num "${_asio_version_line}")
  math(EXPR _asio_major "${_asio_version_num} / 100000")
  math(EXPR _asio_minor "${_asio_version_num} / 100 % 1000")
  math(EXPR _asio_patch "${_asio_version_num} % 100")
  set(Asio_VERSION "${_asio_major}.${_asio_minor}.${_asio_patch}")
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Asio REQUIRED_VARS Asio_INCLUDE_DIR VERSION_VAR Asio_VERSION)

if(Asio_FOUND AND NOT TARGET Asio::Asio)
  find_package(Threads REQUIRED)
  add_library(Asio::Asio INTERFACE IMPORTED)
  set_target_properties(Asio::Asio PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${Asio_INCLUDE_DIR}"
    INTERFACE_COMPILE_DEFINITIONS "ASIO_STANDALONE;ASIO_NO_DEPRECATED;ASIO_SEPARATE_COMPILATION;ASIO_DISABLE_STD_ALIGNED_ALLOC"
    INTERFACE_LINK_LIBRARIES Threads::Threads)
endif()
mark_as_advanced(Asio_INCLUDE_DIR)
