// DES, for what rxkad tickets need: Kerberos-4 style tickets are DES-PCBC encrypted with
// the server key, which is also the IV. (Session keys are used with fcrypt, not DES.)
#pragma once

#include <span>
#include <system_error>

#include "libafs/crypto/key.hpp"

namespace afs::crypto {

// PCBC (see fcrypt.hpp for the chaining rule) over whole blocks, in place.
// errc::bad_value if data.size() is not a multiple of 8 (the data is then left as it was).
std::error_code des_pcbc_encrypt(std::span<std::byte> data, const Key& key, const Key& iv);
std::error_code des_pcbc_decrypt(std::span<std::byte> data, const Key& key, const Key& iv);

// One block, ECB: a known-answer check that the DES underneath is the standard one.
void des_ecb_encrypt(std::span<std::byte, 8> block, const Key& key);

}  // namespace afs::crypto
