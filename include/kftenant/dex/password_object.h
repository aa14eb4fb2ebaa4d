// Naming of Dex `Password` objects (dex.coreos.com/v1) in Kubernetes storage.
#pragma once

#include <string>
#include <string_view>

namespace kftenant::dex {

// The apiVersion and kind of Dex's Password objects (storage/kubernetes types.go).
inline constexpr const char* kPasswordApiVersion = "dex.coreos.com/v1";
inline constexpr const char* kPasswordKind = "Password";

// Dex lower-cases emails before storing or looking up passwords (storage/kubernetes types.go
// fromStoragePassword, storage.go getPassword); the object's `email` field must be this form.
[[nodiscard]] std::string normalize_email(std::string_view email);

// The metadata.name Dex looks up for `email`: idToName(lower(email)) from dexidp/dex
// storage/kubernetes/client.go, i.e. lower-case unpadded base32 of the email bytes followed by
// fnv64.New().Sum(nil) — the FNV-1 offset basis cb f2 9c e4 84 22 23 25, since Sum appends the
// digest of the empty input rather than hashing the email.
[[nodiscard]] std::string password_object_name(std::string_view email);

}  // namespace kftenant::dex
