// Validation of what a user types for a Kubeflow user (email, Dex username and userID), and the
// random values kftenant makes up when asked (user IDs, passwords).
//
// Every value checked here ends up in several places at once: Dex's config.yaml or a Password
// object, Kubernetes annotations, Istio AuthorizationPolicy header matches, KFAM binding names
// and terminal output. The rules are the intersection of what all of them take safely, so a
// value accepted here never needs quoting tricks, never forges a YAML line and never breaks the
// dashboard. Error messages name the field, show the input escaped (quote_for_message) and say
// what is allowed; a password is never shown.
//
// Passwords themselves are checked by dex::validate_password (kftenant/dex/bcrypt.h: 8..72
// bytes, no NUL), the rule bcrypt and Dex impose.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "kftenant/error.h"
#include "kftenant/quote.h"

namespace kftenant::tenancy {

inline constexpr std::size_t kMaxEmailBytes = 254;       // RFC 5321 forward-path limit
inline constexpr std::size_t kMaxEmailLocalBytes = 64;   // RFC 5321 local-part limit
inline constexpr std::size_t kMaxDomainLabelBytes = 63;  // RFC 1035 label limit
inline constexpr std::size_t kMaxKubernetesNameBytes = 253;
inline constexpr std::size_t kMaxTextFieldBytes = 256;  // username, user ID

// Checks an email address and returns its lower-cased form (what Dex stores and looks up, see
// dex::normalize_email). Accepted: ASCII `local@domain` where
//  - the whole address matches the WHATWG "valid email address" pattern the Kubeflow central
//    dashboard checks contributors with (EMAIL_RGX in kubeflow/dashboard
//    components/centraldashboard/app/api_workgroup.ts, from html.spec.whatwg.org input.html):
//      /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?
//        (?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/
//    (so a single-label domain such as `user@localhost` is valid);
//  - and, stricter than WHATWG: the local part is a dot-atom (no leading, trailing or doubled
//    '.'), starts and ends with a letter, digit or '_' (so no value begins with a YAML
//    indicator such as & * ! | % ' ` #), is at most 64 bytes, the address at most 254 bytes;
//  - and Dex's Password object name for it (dex::password_object_name, which grows with the
//    email) fits Kubernetes' 253-character limit, i.e. at most 150 bytes.
// International (non-ASCII) addresses are refused: Dex, Istio header matching and KFAM compare
// bytes, so a homoglyph would make a second, look-alike user. Use the punycode (xn--) domain.
[[nodiscard]] Result<std::string> validate_email(std::string_view email);

// Dex `username` (shown on the login page and as the `name` claim) and `userID` (the `sub`
// claim). Any valid UTF-8 text of 1..256 bytes without: control characters (C0 incl. tab and
// newline, DEL, C1), Unicode line/paragraph separators (U+2028/2029), bidirectional overrides
// (U+202A..202E, U+2066..2069), U+FEFF; and without leading or trailing spaces.
[[nodiscard]] Result<void> validate_username(std::string_view username);
[[nodiscard]] Result<void> validate_user_id(std::string_view user_id);

// A random RFC 4122 version-4 UUID, lower-case ("3f0c…-4…-[89ab]…"), from OpenSSL RAND_bytes.
// If the random generator fails (it has no entropy source at all) the process aborts with a
// message on stderr: carrying on with a guessable ID or password is never the right outcome.
[[nodiscard]] std::string generate_user_id();

inline constexpr std::size_t kGeneratedPasswordLength = 20;
// The alphabet of generated passwords: letters and digits without look-alikes (0 O o 1 l I).
inline constexpr std::string_view kPasswordAlphabet =
    "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";

// A random password of kGeneratedPasswordLength characters from kPasswordAlphabet (about 116
// bits), drawn with RAND_bytes and rejection sampling (no modulo bias). Aborts like
// generate_user_id when the random generator fails.
[[nodiscard]] std::string generate_password();

// Message quoting lives in the common layer (kftenant/quote.h); these names stay for callers.
using kftenant::printable;
using kftenant::quote_for_message;

}  // namespace kftenant::tenancy
