// The users of an import file (`kftenant import FILE`), read and checked row by row.
//
// CSV (RFC 4180, kftenant/csv.h) with a header row naming the columns, in any order:
//   email        required; any case, stored lower-cased (as Dex looks it up)
//   username     Dex's username; empty: the part of the email before '@'
//   user_id      Dex's userID (the `sub` claim); empty: a random UUID
//   profile      the Kubeflow profile (namespace) the user owns; empty: the name the central
//                dashboard's registration flow gives (kubeflow::default_profile_name); `-`: none
//   password     | hash | generate: at most one per row — a password (the file must then be
//                readable by its owner only), a bcrypt hash ($2a$/$2b$/$2y$, cost 10..16), or
//                generate = true/yes/1 for a random password written to --passwords-out; none:
//                an existing user keeps their password (a new one is refused by onboard before
//                anything is written), and with --dex-backend none the only choice
//   quota        the profile's resourceQuotaSpec.hard, "cpu=4,memory=16Gi" (kubeflow::parse_quota)
//   contributors "bob@example.com:view;carol@example.com:edit" (roles admin, edit, view)
// YAML: a mapping with a `users:` list (apiVersion/kind may be there too, as in an apply file),
// each entry with the keys email, username, userID, profile, password, hash, generatePassword
// (true/false), quota (a mapping, or the CSV string) and contributors (a list of {email, role},
// or the CSV string). Values are strings: a userID of digits must be quoted, as Dex requires.
//
// Every row is checked, not just up to the first problem, so that one run lists everything to fix.
// Besides each field alone, rows are checked against each other: an email (in any case), a
// user_id or a profile name on two rows is a problem on the later row, naming the earlier line.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kftenant/kubeflow/contributor.h"

namespace kftenant::tenancy {

enum class PasswordSpec {
  kPassword,  // the row gives the password
  kHash,      // the row gives a bcrypt hash
  kGenerate,  // a random password is made for a new user (an existing one keeps theirs)
  kNone,      // no password given: an existing user keeps theirs; a new user cannot be made
};

struct ContributorGrant {
  std::string email;  // lower-cased
  kubeflow::Role role = kubeflow::Role::kView;
};

struct UserRow {
  int line = 0;       // where the row (CSV) or the entry (YAML) starts
  std::string email;  // lower-cased, valid (validate_email)
  std::optional<std::string> username;
  std::optional<std::string> user_id;
  std::optional<std::string> profile;  // nullopt: no profile; otherwise a valid name
  PasswordSpec password_spec = PasswordSpec::kGenerate;
  std::string password;  // kPassword only; valid (dex::validate_password)
  std::string hash;      // kHash only; cost 10..16
  std::map<std::string, std::string> quota;
  std::vector<ContributorGrant> contributors;
};

struct RowProblem {
  int line = 0;
  std::string field;    // column or key ("email", "quota"); empty for the row or file as a whole
  std::string message;  // what is wrong and what to do; never contains a password
};

struct UserFile {
  std::string source;                // the path, as named in messages
  std::vector<UserRow> rows;         // the valid rows only, in file order
  std::vector<RowProblem> problems;  // in line order
  // The file has a password column (or key): only its owner may be able to read it.
  bool has_passwords = false;
};

enum class UserFileFormat { kCsv, kYaml };

// By the name: ".yaml"/".yml" is YAML, anything else CSV.
[[nodiscard]] UserFileFormat user_file_format(std::string_view path);

[[nodiscard]] UserFile read_user_csv(std::string_view text, std::string source);
[[nodiscard]] UserFile read_user_yaml(std::string_view text, std::string source);
// The entries of a `users:` list already parsed from YAML, checked as read_user_yaml checks them
// (each alone, then against each other), into `out` (rows and problems; `out.source` names the
// file). `line_of` gives the line of a JSON pointer below "/users" ("/users/3/email"). For
// formats that embed the list (the Tenants file of tenants_file.h).
void read_user_list(const nlohmann::json& users,
                    const std::function<int(const std::string&)>& line_of, UserFile& out);

[[nodiscard]] UserFile read_user_file(std::string_view text, std::string source,
                                      UserFileFormat format);

// "users.csv:12: quota: ..." (FILE:LINE: field: message), as the CLI lists problems.
[[nodiscard]] std::string describe(const UserFile& file, const RowProblem& problem);

// "bob@example.com:view;carol@example.com:edit", as the contributors column holds them.
[[nodiscard]] std::string format_contributors(const std::vector<ContributorGrant>& grants);

}  // namespace kftenant::tenancy
