// Asio's compiled part, built once (ASIO_SEPARATE_COMPILATION, see cmake/FindAsio.cmake).
#include <asio/impl/src.hpp>
