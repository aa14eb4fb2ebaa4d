#include "kftenant/tenancy/user_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <set>

#include "kftenant/csv.h"
#include "kftenant/dex/bcrypt.h"
#include "kftenant/kubeflow/naming.h"
#include "kftenant/kubeflow/profile.h"
#include "kftenant/tenancy/validate.h"
#include "kftenant/yaml.h"

namespace kftenant::tenancy {
namespace {

// The fields of a row, whichever format they came from.
enum Field {
  kEmail,
  kUsername,
  kUserId,
  kProfile,
  kPassword,
  kHash,
  kGenerate,
  kQuota,
  kContributors,
  kFieldCount
};

// Column names (CSV) and keys (YAML), in Field order.
constexpr std::array<std::string_view, kFieldCount> kCsvNames = {
    "email", "username", "user_id", "profile",     "password",
    "hash",  "generate", "quota",   "contributors"};
constexpr std::array<std::string_view, kFieldCount> kYamlNames = {
    "email", "username",         "userID", "profile",     "password",
    "hash",  "generatePassword", "quota",  "contributors"};

std::string joined(const std::array<std::string_view, kFieldCount>& names) {
  std::string out;
  for (auto n : names) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

// One row before checking: each field given or not, as text.
struct RawRow {
  int line = 0;
  std::array<std::optional<std::string>, kFieldCount> values;
};

class Checker {
 public:
  Checker(UserFile& out, const std::array<std::string_view, kFieldCount>& names)
      : out_(out), names_(names) {}

  void problem(int line, std::string_view field, std::string message) {
    out_.problems.push_back({line, std::string(field), std::move(message)});
  }

  // Checks one row alone; adds it to the file's rows when it is valid.
  void check(const RawRow& raw) {
    const size_t before = out_.problems.size();
    auto text = [&](Field f) -> std::string_view {
      return raw.values[f] ? std::string_view(*raw.values[f]) : std::string_view();
    };
    auto bad = [&](Field f, std::string message) {
      problem(raw.line, names_[f], std::move(message));
    };
    UserRow row;
    row.line = raw.line;
    if (text(kEmail).empty()) {
      bad(kEmail, "missing: every row needs the user's email");
    } else if (auto email = validate_email(text(kEmail)); !email) {
      bad(kEmail, email.error().message);
    } else {
      row.email = *email;
    }
    if (!text(kUsername).empty()) {
      if (auto v = validate_username(text(kUsername)); !v)
        bad(kUsername, v.error().message);
      else
        row.username = std::string(text(kUsername));
    }
    if (!text(kUserId).empty()) {
      if (auto v = validate_user_id(text(kUserId)); !v)
        bad(kUserId, v.error().message);
      else
        row.user_id = std::string(text(kUserId));
    }
    const std::string_view profile = text(kProfile);
    if (profile == "-") {
      row.profile.reset();
    } else if (profile.empty()) {
      if (!row.email.empty()) {
        row.profile = kubeflow::default_profile_name(row.email);
        if (auto v = kubeflow::validate_profile_name(*row.profile); !v)
          bad(kProfile,
              fmt::format("empty, and the name made from the email ({}) is not valid: {}; give "
                          "one, or - for no profile",
                          *row.profile, v.error().message));
      }
    } else if (auto v = kubeflow::validate_profile_name(profile); !v) {
      bad(kProfile, v.error().message);
    } else {
      row.profile = std::string(profile);
    }
    check_password(raw, row);
    if (!text(kQuota).empty()) {
      if (profile == "-")
        bad(kQuota, "the row has no profile (profile -), so there is nothing to give a quota to");
      else if (auto quota = kubeflow::parse_quota(text(kQuota)); !quota)
        bad(kQuota, quota.error().message);
      else
        row.quota = std::move(*quota);
    }
    if (!text(kContributors).empty()) {
      if (profile == "-")
        bad(kContributors, "the row has no profile (profile -) to share");
      else
        check_contributors(raw, row);
    }
    // A row with problems still takes part in the uniqueness check (with the fields that are
    // valid), so that fixing one problem does not reveal the next on the following run.
    checked_.push_back({std::move(row), out_.problems.size() != before});
  }

  // Rows against each other: what must be unique in the file. A row found repeating an earlier
  // one becomes a problem and leaves the rows.
  void check_unique() {
    std::map<std::string, int> emails, user_ids, profiles;
    std::vector<UserRow> kept;
    for (auto& checked : checked_) {
      // Not a structured binding: clang 14 (the fuzz build) cannot capture one in a lambda.
      UserRow& row = checked.first;
      const bool had_problems = checked.second;
      const size_t before = out_.problems.size();
      auto seen = [&](std::map<std::string, int>& where, const std::string& value, Field f,
                      std::string_view what) {
        auto [it, inserted] = where.emplace(value, row.line);
        if (!inserted)
          problem(row.line, names_[f],
                  fmt::format(
                      "{} {} is already on line {}: {}", what, quote_for_message(value), it->second,
                      f == kEmail    ? "list each user once (emails are compared without "
                                       "regard to case, as Dex does)"
                      : f == kUserId ? "Dex puts the user ID in the `sub` claim, so two users "
                                       "would be one identity; give each its own"
                                     : "a profile has one owner; give one of them another profile "
                                       "name"));
      };
      if (!row.email.empty()) seen(emails, row.email, kEmail, "email");
      // A repeated user is one problem, not one per field derived from the same email.
      const bool repeated_user = out_.problems.size() != before;
      if (!repeated_user && row.user_id) seen(user_ids, *row.user_id, kUserId, "user ID");
      if (!repeated_user && row.profile) seen(profiles, *row.profile, kProfile, "profile");
      if (!had_problems && out_.problems.size() == before) kept.push_back(std::move(row));
    }
    checked_.clear();
    out_.rows = std::move(kept);
    std::stable_sort(out_.problems.begin(), out_.problems.end(),
                     [](const RowProblem& a, const RowProblem& b) { return a.line < b.line; });
  }

 private:
  void check_password(const RawRow& raw, UserRow& row) {
    std::vector<Field> given;
    for (Field f : {kPassword, kHash, kGenerate})
      if (raw.values[f] && !raw.values[f]->empty()) given.push_back(f);
    bool generate = false;
    if (raw.values[kGenerate] && !raw.values[kGenerate]->empty()) {
      std::string v = *raw.values[kGenerate];
      std::transform(v.begin(), v.end(), v.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      if (v == "true" || v == "yes" || v == "1") {
        generate = true;
      } else if (v == "false" || v == "no" || v == "0") {
        given.erase(std::remove(given.begin(), given.end(), kGenerate), given.end());
      } else {
        problem(raw.line, names_[kGenerate],
                fmt::format("{} is not true or false (true, yes, 1 / false, no, 0, or empty)",
                            quote_for_message(*raw.values[kGenerate])));
        return;
      }
    }
    if (given.empty()) {
      // An existing user keeps their password; a new one needs it (onboard checks that against
      // the cluster before writing). With --dex-backend none no row has one.
      row.password_spec = PasswordSpec::kNone;
      return;
    }
    if (given.size() > 1) {
      problem(raw.line, names_[given[1]],
              fmt::format("the row has {} as well: give only one of {}, {} and {}",
                          names_[given[0]], names_[kPassword], names_[kHash], names_[kGenerate]));
      return;
    }
    if (generate) {
      row.password_spec = PasswordSpec::kGenerate;
    } else if (given[0] == kPassword) {
      if (auto v = dex::validate_password(*raw.values[kPassword]); !v) {
        problem(raw.line, names_[kPassword], v.error().message);
        return;
      }
      row.password_spec = PasswordSpec::kPassword;
      row.password = *raw.values[kPassword];
    } else {
      const std::string& hash = *raw.values[kHash];
      auto cost = dex::bcrypt_cost(hash);
      if (!cost) {
        problem(raw.line, names_[kHash],
                fmt::format("{}; give a bcrypt hash ($2y$...), or the password in {}",
                            cost.error().message, names_[kPassword]));
        return;
      }
      if (*cost < dex::kMinBcryptCost || *cost > dex::kMaxBcryptCost) {
        problem(raw.line, names_[kHash],
                fmt::format("the hash has cost {}, and Dex refuses logins unless the cost is "
                            "{}..{}: make it again with a cost in that range",
                            *cost, dex::kMinBcryptCost, dex::kMaxBcryptCost));
        return;
      }
      row.password_spec = PasswordSpec::kHash;
      row.hash = hash;
    }
  }

  void check_contributors(const RawRow& raw, UserRow& row) {
    const std::string& text = *raw.values[kContributors];
    std::set<std::string> seen;
    size_t pos = 0;
    while (pos <= text.size()) {
      size_t end = text.find(';', pos);
      if (end == std::string::npos) end = text.size();
      const std::string item = text.substr(pos, end - pos);
      pos = end + 1;
      if (item.empty()) continue;  // "a:view;" — a trailing separator
      auto bad = [&](std::string message) {
        problem(raw.line, names_[kContributors], std::move(message));
      };
      const size_t colon = item.rfind(':');
      if (colon == std::string::npos) {
        bad(
            fmt::format("{} has no role: write EMAIL:ROLE (admin, edit or view), items separated "
                        "by ';'",
                        quote_for_message(item)));
        continue;
      }
      auto email = validate_email(item.substr(0, colon));
      if (!email) {
        bad(email.error().message);
        continue;
      }
      auto role = kubeflow::parse_role(item.substr(colon + 1));
      if (!role) {
        bad(fmt::format("{}: {}", *email, role.error().message));
        continue;
      }
      if (*email == row.email) {
        bad(fmt::format("{} is the profile's owner, who has admin already: leave them out",
                        *email));
        continue;
      }
      if (!seen.insert(*email).second) {
        bad(fmt::format("{} is listed twice: give each contributor one role", *email));
        continue;
      }
      row.contributors.push_back({*email, *role});
    }
  }

  UserFile& out_;
  const std::array<std::string_view, kFieldCount>& names_;
  // Every row checked alone so far, and whether it had problems.
  std::vector<std::pair<UserRow, bool>> checked_;
};

bool is_blank_row(const csv::Row& row) {
  return std::all_of(row.fields.begin(), row.fields.end(),
                     [](const std::string& f) { return f.empty(); });
}

// A YAML value as the text of a field: strings as they are; quota and contributors also in
// their structured forms. nullopt and a problem otherwise.
std::optional<std::string> yaml_field(const nlohmann::json& value, Field field, int line,
                                      Checker& checker) {
  const std::string_view name = kYamlNames[field];
  if (value.is_null()) return std::string();
  if (value.is_string()) return value.get<std::string>();
  if (field == kGenerate && value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (field == kQuota && value.is_object()) {
    std::string out;
    for (const auto& [k, v] : value.items()) {
      if (!v.is_string() && !v.is_number()) {
        checker.problem(line, name,
                        fmt::format("{}: the value must be a quantity such as 4 or "
                                    "16Gi",
                                    k));
        return std::nullopt;
      }
      out += (out.empty() ? "" : ",") + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
    }
    return out;
  }
  if (field == kContributors && value.is_array()) {
    std::string out;
    for (const auto& c : value) {
      if (!c.is_object() || !c.contains("email") || !c["email"].is_string() ||
          !c.contains("role") || !c["role"].is_string() || c.size() != 2) {
        checker.problem(line, name, "each contributor is a mapping {email: EMAIL, role: ROLE}");
        return std::nullopt;
      }
      out += (out.empty() ? "" : ";") + c["email"].get<std::string>() + ":" +
             c["role"].get<std::string>();
    }
    return out;
  }
  checker.problem(
      line, name,
      fmt::format("must be a string{}", value.is_number() || value.is_boolean()
                                            ? " (quote it: " + value.dump() + " is read as a " +
                                                  (value.is_boolean() ? "boolean" : "number") + ")"
                                            : ""));
  return std::nullopt;
}

}  // namespace

UserFileFormat user_file_format(std::string_view path) {
  auto ends_with = [&](std::string_view suffix) {
    if (path.size() < suffix.size()) return false;
    std::string tail(path.substr(path.size() - suffix.size()));
    std::transform(tail.begin(), tail.end(), tail.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    return tail == suffix;
  };
  return ends_with(".yaml") || ends_with(".yml") ? UserFileFormat::kYaml : UserFileFormat::kCsv;
}

UserFile read_user_csv(std::string_view text, std::string source) {
  UserFile out;
  out.source = std::move(source);
  Checker checker(out, kCsvNames);
  auto rows = csv::parse(text);
  if (!rows) {
    // "line N: ..." from the CSV reader: keep the line, drop the prefix.
    const std::string& m = rows.error().message;
    int line = 0;
    size_t colon = std::string::npos;
    if (m.rfind("line ", 0) == 0 && (colon = m.find(':')) != std::string::npos)
      line = std::atoi(m.c_str() + 5);
    checker.problem(line, "", colon == std::string::npos ? m : m.substr(colon + 2));
    return out;
  }
  if (rows->empty()) {
    checker.problem(
        1, "",
        fmt::format("the file is empty: the first line names the columns ({})", joined(kCsvNames)));
    return out;
  }
  const csv::Row& header = rows->front();
  std::array<int, kFieldCount> column{};
  column.fill(-1);
  for (size_t i = 0; i < header.fields.size(); ++i) {
    const std::string& name = header.fields[i];
    auto it = std::find(kCsvNames.begin(), kCsvNames.end(), name);
    if (it == kCsvNames.end()) {
      checker.problem(header.line, "",
                      fmt::format("unknown column {}: the columns are {} (lower case)",
                                  quote_for_message(name), joined(kCsvNames)));
      continue;
    }
    const auto f = static_cast<size_t>(it - kCsvNames.begin());
    if (column[f] >= 0) {
      checker.problem(header.line, "", fmt::format("column {} is named twice", name));
      continue;
    }
    column[f] = static_cast<int>(i);
  }
  if (column[kEmail] < 0)
    checker.problem(header.line, "",
                    fmt::format("there is no email column: the first line names the columns ({})",
                                joined(kCsvNames)));
  out.has_passwords = column[kPassword] >= 0;
  if (!out.problems.empty()) return out;
  for (size_t r = 1; r < rows->size(); ++r) {
    const csv::Row& row = (*rows)[r];
    if (is_blank_row(row)) continue;  // ",,," — what spreadsheets leave below the data
    if (row.fields.size() != header.fields.size()) {
      checker.problem(row.line, "",
                      fmt::format("{} fields, but the header names {} columns: check for an "
                                  "unquoted comma (quote fields that hold one)",
                                  row.fields.size(), header.fields.size()));
      continue;
    }
    RawRow raw;
    raw.line = row.line;
    for (size_t f = 0; f < kFieldCount; ++f)
      if (column[f] >= 0) raw.values[f] = row.fields[static_cast<size_t>(column[f])];
    checker.check(raw);
  }
  checker.check_unique();
  return out;
}

UserFile read_user_yaml(std::string_view text, std::string source) {
  UserFile out;
  out.source = std::move(source);
  Checker checker(out, kYamlNames);
  if (auto line = csv::lone_carriage_return_line(text)) {
    checker.problem(*line, "",
                    "a carriage return without a line feed: save the file with LF or CRLF line "
                    "ends");
    return out;
  }
  yaml::LineIndex lines;
  auto doc = yaml::parse(text, out.source, &lines);
  // libyaml places an empty node or an error at the end of input on the line past the last one.
  const int last_line = 1 + static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  auto line_of = [&](const std::string& pointer) {
    for (std::string p = pointer;; p = p.substr(0, p.rfind('/'))) {
      if (auto it = lines.find(p); it != lines.end()) return std::min(it->second, last_line);
      if (p.empty()) return 1;
    }
  };
  if (!doc) {
    // "<source>:L:C: problem" from the YAML reader.
    const std::string& m = doc.error().message;
    int line = 0;
    std::string message = m;
    if (m.rfind(out.source + ":", 0) == 0) {
      const char* rest = m.c_str() + out.source.size() + 1;
      line = std::min(std::atoi(rest), last_line);
      const size_t sep = m.find(": ", out.source.size() + 1);
      if (sep != std::string::npos) message = m.substr(sep + 2);
    }
    checker.problem(line, "", "not valid YAML: " + message);
    return out;
  }
  if (!doc->is_object() || !doc->contains("users") || !(*doc)["users"].is_array()) {
    checker.problem(1, "", "expected a mapping with a `users:` list (users: [{email: ...}, ...])");
    return out;
  }
  for (const auto& [key, value] : doc->items()) {
    if (key == "users" || key == "apiVersion" || key == "kind" || key == "metadata") continue;
    checker.problem(line_of("/" + key), key,
                    key == "profiles" ? "import reads users only; for profiles of their own use "
                                        "`kftenant apply -f`"
                                      : "unknown key: an import file has a `users:` list");
  }
  read_user_list((*doc)["users"], line_of, out);
  return out;
}

void read_user_list(const nlohmann::json& users,
                    const std::function<int(const std::string&)>& line_of, UserFile& out) {
  Checker checker(out, kYamlNames);
  for (size_t i = 0; i < users.size(); ++i) {
    const std::string at = "/users/" + std::to_string(i);
    const int line = line_of(at);
    const auto& entry = users[i];
    if (!entry.is_object()) {
      checker.problem(line, "", "each user is a mapping (email: ..., username: ...)");
      continue;
    }
    RawRow raw;
    raw.line = line;
    bool usable = true;
    for (const auto& [key, value] : entry.items()) {
      auto it = std::find(kYamlNames.begin(), kYamlNames.end(), key);
      if (it == kYamlNames.end()) {
        checker.problem(line_of(at + "/" + key), key,
                        fmt::format("unknown key: the keys are {}", joined(kYamlNames)));
        usable = false;
        continue;
      }
      if (key == "password") out.has_passwords = true;
      const auto f = static_cast<Field>(it - kYamlNames.begin());
      auto v = yaml_field(value, f, line_of(at + "/" + key), checker);
      if (!v) {
        usable = false;
        continue;
      }
      raw.values[f] = std::move(*v);
    }
    if (usable) checker.check(raw);
  }
  checker.check_unique();
}

UserFile read_user_file(std::string_view text, std::string source, UserFileFormat format) {
  return format == UserFileFormat::kYaml ? read_user_yaml(text, std::move(source))
                                         : read_user_csv(text, std::move(source));
}

std::string describe(const UserFile& file, const RowProblem& problem) {
  std::string out = file.source;
  if (problem.line > 0) out += ":" + std::to_string(problem.line);
  out += ": ";
  if (!problem.field.empty()) out += problem.field + ": ";
  return out + problem.message;
}

std::string format_contributors(const std::vector<ContributorGrant>& grants) {
  std::string out;
  for (const auto& g : grants)
    out += (out.empty() ? "" : ";") + g.email + ":" + std::string(kubeflow::to_string(g.role));
  return out;
}

}  // namespace kftenant::tenancy
