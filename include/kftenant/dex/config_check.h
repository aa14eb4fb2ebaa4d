// Checks a Dex config.yaml the way Dex v2.45.1 reads it, before kftenant restarts Dex onto it.
//
// Dex reads config.yaml once, at startup (cmd/dex/serve.go runServe): github.com/ghodss/yaml turns
// the YAML into JSON with gopkg.in/yaml.v2 (YAML 1.1 scalars: `yes` is a boolean, `0012` octal),
// encoding/json fills cmd/dex/config.go `Config` (custom UnmarshalJSON for each staticPasswords
// entry, storage, signer and connector), then Config.Validate and the rest of runServe check it.
// Any error there makes `dex serve` exit: a Deployment restarted onto such a config has no login
// at all until someone repairs the ConfigMap. Some entries load but can never log in, and some
// shapes load and work in a way the author did not mean. check_dex_config finds all three in the
// text, as Dex would read it (not as kftenant's own DexConfig view, which keeps the named fields
// of an entry as written).
//
// Problems found (the Dex source of each rule is cited where it is checked,
// src/dex/config_check.cc):
//  kFatal (Dex exits at startup):
//   - a staticPasswords entry whose field has the wrong JSON type for Dex: email, username, name,
//     preferredUsername, userID, hash, hashFromEnv must be strings, emailVerified a boolean, groups
//     a list of strings (null is fine: "absent"). An unquoted `userID: 15841185641784` is a
//     number, `username: yes` a boolean: quote them. (The entry's own UnmarshalJSON stops
//     ghodss/yaml from turning numbers into strings, as it does for Config's plain string fields.)
//   - an entry with neither `hash` nor `hashFromEnv` ("no password hash provided");
//   - a `hash` that is neither a bcrypt string nor base64 of one, as golang.org/x/crypto/bcrypt's
//     Cost reads it ("malformed bcrypt hash");
//   - staticPasswords entries without `enablePasswordDB: true`, and every other Config.Validate
//     failure (issuer, storage, web http/https and TLS, gRPC TLS settings);
//   - an unknown storage, signer or connector type, a storage/signer/connector `config` that is
//     not a mapping, a bad logger level or format, a staticClients entry without name, id/idEnv or
//     secret/secretEnv (or with both of a pair), a connector without id, type or name, a duration
//     (expiry.*, signer keysRotationPeriod) that Go's time.ParseDuration refuses, and the YAML
//     shapes ghodss/yaml cannot turn into JSON (null or collection mapping keys, a bad merge `<<`,
//     a scalar whose explicit tag does not match it);
//   - a top-level field of the wrong type (`enablePasswordDB: "true"` is a string).
//  kUnusable (Dex starts; this entry can never log in):
//   - a bcrypt cost outside 10..16 (server/server.go passwordDB.Login runs server/api.go checkCost:
//     the login form answers HTTP 500 "Login error");
//   - a bcrypt string that Cost accepts but no password can match (wrong length, a salt outside
//     bcrypt's alphabet).
//  kWarning (works, but surprising):
//   - entries with the same email ignoring case: Dex logs an error and uses the last one
//     (storage/static.go WithStaticPasswords); every entry of such a group is listed;
//   - entries that Dex uses sharing a userID (empty ones included): their `sub` claim is the same;
//   - an entry without email (Dex accepts it, for an empty login name);
//   - both `hash` and `hashFromEnv` (hash wins, the variable is ignored);
//   - a field name in another case (`Email:`): Go's JSON matching ignores case, so Dex reads it as
//     `email`, but kftenant and most tools do not.
// Not problems here: `hashFromEnv` without `hash` (the variable is the Deployment's business); the
// --web-http-addr / --web-https-addr / --grpc-addr flags of `dex serve`, which can supply what
// Validate misses (Kubeflow's Deployment passes none); anything needing files, the network or the
// environment (TLS files, storage connection, hashFromEnv values).
//
// Messages are one line, name the entry (by its email) and field, say what Dex does and what to
// do. They never contain a hash value (nor anything from `hash` or `hashFromEnv`).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kftenant/dex/static_passwords.h"

namespace kftenant::dex {

struct ConfigProblem {
  enum class Severity {
    kFatal,     // Dex exits at startup with this config (restarting onto it takes login down)
    kUnusable,  // Dex starts, but this entry can never log in (e.g. bcrypt cost outside 10..16)
    kWarning,   // works, but surprising (case-variant duplicates: the last wins; a shared userID)
  };
  Severity severity = Severity::kWarning;
  std::optional<size_t> entry;  // index into static_passwords(), when about one entry
  size_t line = 0;              // 1-based line in config.yaml, 0 when not about a place
  std::string email;            // the entry's email as written (empty when not about an entry)
  std::string message;  // one line, names the entry/field, says what Dex does and what to do
};

// Every problem of `config` (its text() as Dex reads it), most severe first, then by line. Pure:
// one libyaml pass over the text and the rules, linear in its size (a 5,000-entry config takes
// about 1.5 times as long as DexConfig::parse, ~17 ms; bench/dex_config.cc BM_CheckDexConfig).
[[nodiscard]] std::vector<ConfigProblem> check_dex_config(const DexConfig& config);

// Whether any problem is kFatal.
[[nodiscard]] bool has_fatal(const std::vector<ConfigProblem>& problems);

// "fatal", "unusable" or "warning".
[[nodiscard]] std::string_view severity_name(ConfigProblem::Severity severity);

// "config.yaml line 12: fatal: <message>" (no "line N" when line is 0), `source` naming the file.
[[nodiscard]] std::string describe(const ConfigProblem& problem, std::string_view source);

}  // namespace kftenant::dex
