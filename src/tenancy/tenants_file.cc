#include "kftenant/tenancy/tenants_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "kftenant/csv.h"
#include "kftenant/dex/bcrypt.h"
#include "kftenant/kube/names.h"
#include "kftenant/kubeflow/naming.h"
#include "kftenant/kubeflow/profile.h"
#include "kftenant/quote.h"
#include "kftenant/tenancy/validate.h"
#include "kftenant/yaml.h"

namespace kftenant::tenancy {
namespace {

using nlohmann::json;

class FileReader {
 public:
  FileReader(Tenants& out, std::string source, const TenantsReadOptions& options)
      : out_(out), source_(std::move(source)), options_(options) {}

  void problem(int line, std::string_view field, std::string message) {
    out_.problems.push_back({source_, line, std::string(field), std::move(message)});
  }

  void read(std::string_view text) {
    if (auto line = csv::lone_carriage_return_line(text)) {
      problem(*line, "",
              "a carriage return without a line feed: save the file with LF or CRLF line ends");
      return;
    }
    auto doc = yaml::parse(text, source_, &lines_);
    last_line_ = 1 + static_cast<int>(std::count(text.begin(), text.end(), '\n'));
    if (!doc) {
      // "<source>:L:C: problem" from the YAML reader.
      const std::string& m = doc.error().message;
      int line = 0;
      std::string message = m;
      if (m.rfind(source_ + ":", 0) == 0) {
        line = std::min(std::atoi(m.c_str() + source_.size() + 1), last_line_);
        const size_t sep = m.find(": ", source_.size() + 1);
        if (sep != std::string::npos) message = m.substr(sep + 2);
      }
      problem(line, "", "not valid YAML: " + message);
      return;
    }
    if (!doc->is_object()) {
      problem(1, "",
              fmt::format("expected a mapping with apiVersion: {}, kind: {}, users and profiles",
                          kTenantsApiVersion, kTenantsKind));
      return;
    }
    const json& d = *doc;
    const std::string api = d.value("apiVersion", json()).is_string() ? d["apiVersion"] : "";
    const std::string kind = d.value("kind", json()).is_string() ? d["kind"] : "";
    if (api != kTenantsApiVersion || kind != kTenantsKind) {
      problem(line_of(d.contains("kind") ? "/kind" : "/apiVersion"), "",
              fmt::format("not a Tenants file (apiVersion {}, kind {}): begin it with "
                          "`apiVersion: {}` and `kind: {}`",
                          api.empty() ? "missing" : quote_for_message(api),
                          kind.empty() ? "missing" : quote_for_message(kind), kTenantsApiVersion,
                          kTenantsKind));
      return;
    }
    for (const auto& [key, value] : d.items()) {
      if (key == "apiVersion" || key == "kind" || key == "metadata" || key == "users" ||
          key == "profiles")
        continue;
      problem(line_of("/" + key), key,
              "unknown key: a Tenants file has apiVersion, kind, metadata, users and profiles");
    }
    read_metadata(d);
    if (d.contains("users") && !d["users"].is_null()) {
      if (!d["users"].is_array())
        problem(line_of("/users"), "users", "must be a list of users ([{email: ...}, ...])");
      else
        read_users(d["users"]);
    }
    if (d.contains("profiles") && !d["profiles"].is_null()) {
      if (!d["profiles"].is_array())
        problem(line_of("/profiles"), "profiles", "must be a list of profiles ([{name: ...}])");
      else
        read_profiles(d["profiles"]);
    }
    std::stable_sort(out_.problems.begin(), out_.problems.end(),
                     [](const TenantsProblem& a, const TenantsProblem& b) {
                       return a.source == b.source && a.line < b.line;
                     });
  }

 private:
  int line_of(const std::string& pointer) const {
    for (std::string p = pointer;; p = p.substr(0, p.rfind('/'))) {
      if (auto it = lines_.find(p); it != lines_.end()) return std::min(it->second, last_line_);
      if (p.empty()) return 1;
    }
  }

  void read_metadata(const json& d) {
    if (!d.contains("metadata") || d["metadata"].is_null()) return;
    const json& m = d["metadata"];
    if (!m.is_object()) {
      problem(line_of("/metadata"), "metadata", "must be a mapping (metadata: {name: SET})");
      return;
    }
    for (const auto& [key, value] : m.items()) {
      if (key != "name")
        problem(line_of("/metadata/" + key), "metadata." + key, "unknown key: metadata has name");
    }
    if (!m.contains("name")) return;
    if (!m["name"].is_string()) {
      problem(line_of("/metadata/name"), "metadata.name", "must be a string");
      return;
    }
    const std::string name = m["name"];
    auto problems = kube::is_valid_label_value(name);
    if (name.empty()) problems.push_back("must not be empty");
    if (!problems.empty()) {
      problem(line_of("/metadata/name"), "metadata.name",
              fmt::format("{}: {} (the set's name is a label value: up to 63 letters, digits, "
                          "'-', '_' or '.')",
                          quote_for_message(name), problems.front()));
      return;
    }
    out_.set = name;
    out_.set_source = fmt::format("{}:{}", source_, line_of("/metadata/name"));
  }

  // Reads hashFrom (or leaves an inline hash to the user-list checker) for one entry.
  void read_hash_from(const json& from, const std::string& at, TenantUser& user) {
    const int line = line_of(at + "/hashFrom");
    auto bad = [&](std::string message) { problem(line, "hashFrom", std::move(message)); };
    if (!from.is_object() || from.size() != 1) {
      bad("give exactly one of env: VARIABLE, file: PATH or secretKeyRef: {namespace, name, "
          "key}");
      return;
    }
    const std::string kind = from.begin().key();
    const json& value = from.begin().value();
    HashSource& source = user.hash_from;
    std::optional<std::string> text;
    if (kind == "env" && value.is_string() && !value.get<std::string>().empty()) {
      source.kind = HashSource::Kind::kEnv;
      source.name = value;
      text = options_.getenv ? options_.getenv(source.name)
                             : (std::getenv(source.name.c_str())
                                    ? std::optional<std::string>(std::getenv(source.name.c_str()))
                                    : std::nullopt);
      if (!text || text->empty()) {
        bad(
            fmt::format("environment variable {} is not set: export it with the user's bcrypt "
                        "hash before running kftenant",
                        source.name));
        return;
      }
    } else if (kind == "file" && value.is_string() && !value.get<std::string>().empty()) {
      source.kind = HashSource::Kind::kFile;
      source.name = value;
      std::string path = source.name;
      if (path.front() != '/' && !options_.base_dir.empty()) path = options_.base_dir + "/" + path;
      std::ifstream in(path, std::ios::binary);
      if (!in) {
        bad(fmt::format("cannot read file {} ({}): it should hold the user's bcrypt hash",
                        source.name, path));
        return;
      }
      std::ostringstream buffer;
      buffer << in.rdbuf();
      text = buffer.str();
      while (!text->empty() && (text->back() == '\n' || text->back() == '\r')) text->pop_back();
    } else if (kind == "secretKeyRef" && value.is_object()) {
      source.kind = HashSource::Kind::kSecretKey;
      for (const char* k : {"namespace", "name", "key"})
        if (!value.contains(k) || !value[k].is_string() || value[k].get<std::string>().empty()) {
          bad(fmt::format("secretKeyRef needs namespace, name and key (strings); {} is missing",
                          k));
          return;
        }
      if (value.size() != 3) {
        bad("secretKeyRef has namespace, name and key, nothing else");
        return;
      }
      source.ns = value["namespace"];
      source.name = value["name"];
      source.key = value["key"];
      return;  // read from the store before planning
    } else {
      bad(
          fmt::format("{}: give env: VARIABLE, file: PATH or secretKeyRef: {{namespace, name, "
                      "key}}",
                      quote_for_message(kind)));
      return;
    }
    if (auto v = checked_hash(*text, source.describe()); !v) {
      bad(v.error().message);
      return;
    }
    user.hash = std::move(*text);
  }

  void read_users(const json& users) {
    // The import checker reads what the two formats share; the hash sources and the refusal of
    // passwords are the Tenants file's own.
    json shared = users;
    std::map<int, TenantUser> extra;  // by the entry's line
    for (size_t i = 0; i < shared.size(); ++i) {
      json& entry = shared[i];
      if (!entry.is_object()) continue;
      const std::string at = "/users/" + std::to_string(i);
      TenantUser& user = extra[line_of(at)];
      for (const char* key : {"password", "generatePassword"})
        if (entry.contains(key)) {
          problem(line_of(at + "/" + key), key,
                  "a Tenants file holds bcrypt hashes, never passwords: give hash or hashFrom "
                  "(`kftenant hash` makes one), or add the user with a password by `kftenant "
                  "import`");
          entry.erase(key);
        }
      if (entry.contains("hashFrom")) {
        if (entry.contains("hash"))
          problem(line_of(at + "/hashFrom"), "hashFrom", "give hash or hashFrom, not both");
        else
          read_hash_from(entry["hashFrom"], at, user);
        entry.erase("hashFrom");
      } else if (entry.contains("hash")) {
        user.hash_from.kind = HashSource::Kind::kInline;
      }
    }
    UserFile file;
    file.source = source_;
    read_user_list(
        shared, [this](const std::string& p) { return line_of(p); }, file);
    for (auto& p : file.problems)
      out_.problems.push_back({source_, p.line, p.field, std::move(p.message)});
    for (auto& row : file.rows) {
      TenantUser user = std::move(extra[row.line]);
      user.source = source_;
      user.line = row.line;
      user.email = row.email;
      user.username = row.username;
      user.user_id = row.user_id;
      if (row.password_spec == PasswordSpec::kHash) user.hash = row.hash;
      if (row.profile) {
        TenantProfile profile;
        profile.source = source_;
        profile.line = row.line;
        profile.name = *row.profile;
        profile.owner = row.email;
        if (!row.quota.empty()) profile.quota = row.quota;
        profile.contributors = row.contributors;
        profile_lines_[profile.name] = row.line;
        out_.profiles.push_back(std::move(profile));
      }
      out_.users.push_back(std::move(user));
    }
  }

  void read_profiles(const json& profiles) {
    for (size_t i = 0; i < profiles.size(); ++i) {
      const std::string at = "/profiles/" + std::to_string(i);
      const json& entry = profiles[i];
      const int line = line_of(at);
      const size_t before = out_.problems.size();
      auto bad = [&](const std::string& key, std::string message) {
        problem(line_of(at + "/" + key), key, std::move(message));
      };
      if (!entry.is_object()) {
        problem(line, "", "each profile is a mapping (name: ..., owner: ...)");
        continue;
      }
      for (const auto& [key, value] : entry.items())
        if (key != "name" && key != "owner" && key != "quota" && key != "contributors")
          bad(key, "unknown key: a profile has name, owner, quota and contributors");
      TenantProfile profile;
      profile.source = source_;
      profile.line = line;
      auto text = [&](const char* key) -> std::optional<std::string> {
        if (!entry.contains(key) || entry[key].is_null() ||
            (entry[key].is_string() && entry[key].get<std::string>().empty())) {
          bad(key, fmt::format("missing: every profile needs its {}", key));
          return std::nullopt;
        }
        if (!entry[key].is_string()) {
          bad(key, "must be a string");
          return std::nullopt;
        }
        return entry[key].get<std::string>();
      };
      if (auto name = text("name")) {
        if (auto v = kubeflow::validate_profile_name(*name); !v)
          bad("name", v.error().message);
        else
          profile.name = *name;
      }
      if (auto owner = text("owner")) {
        if (auto v = validate_email(*owner); !v)
          bad("owner", v.error().message);
        else
          profile.owner = *v;
      }
      if (entry.contains("quota") && !entry["quota"].is_null())
        read_quota(entry["quota"], at, profile);
      if (entry.contains("contributors") && !entry["contributors"].is_null())
        read_contributors(entry["contributors"], at, profile);
      if (!profile.name.empty()) {
        auto [it, inserted] = profile_lines_.emplace(profile.name, line);
        if (!inserted)
          bad("name", fmt::format("profile {} is already on line {}: a profile has one owner; "
                                  "list it once",
                                  profile.name, it->second));
      }
      if (out_.problems.size() == before) out_.profiles.push_back(std::move(profile));
    }
  }

  void read_quota(const json& quota, const std::string& at, TenantProfile& profile) {
    const int line = line_of(at + "/quota");
    std::map<std::string, std::string> hard;
    if (quota.is_string()) {
      auto parsed = kubeflow::parse_quota(quota.get<std::string>());
      if (!parsed) return problem(line, "quota", parsed.error().message);
      hard = std::move(*parsed);
    } else if (quota.is_object()) {
      for (const auto& [k, v] : quota.items()) {
        if (!v.is_string() && !v.is_number())
          return problem(line, "quota",
                         fmt::format("{}: the value must be a quantity such as 4 or 16Gi", k));
        hard[k] = v.is_string() ? v.get<std::string>() : v.dump();
      }
      if (auto v = kubeflow::validate_quota(hard); !v)
        return problem(line, "quota", v.error().message);
    } else {
      return problem(line, "quota", "a mapping of resource to quantity ({cpu: \"4\"})");
    }
    if (!hard.empty()) profile.quota = std::move(hard);
  }

  void read_contributors(const json& list, const std::string& at, TenantProfile& profile) {
    const int line = line_of(at + "/contributors");
    if (!list.is_array())
      return problem(line, "contributors", "a list of {email: EMAIL, role: admin|edit|view}");
    std::set<std::string> seen;
    for (size_t k = 0; k < list.size(); ++k) {
      const json& c = list[k];
      const int item_line = line_of(at + "/contributors/" + std::to_string(k));
      if (!c.is_object() || c.size() != 2 || !c.contains("email") || !c["email"].is_string() ||
          !c.contains("role") || !c["role"].is_string()) {
        problem(item_line, "contributors",
                "each contributor is a mapping {email: EMAIL, role: ROLE}");
        continue;
      }
      auto email = validate_email(c["email"].get<std::string>());
      if (!email) {
        problem(item_line, "contributors", email.error().message);
        continue;
      }
      auto role = kubeflow::parse_role(c["role"].get<std::string>());
      if (!role) {
        problem(item_line, "contributors", fmt::format("{}: {}", *email, role.error().message));
        continue;
      }
      if (*email == profile.owner) {
        problem(item_line, "contributors",
                fmt::format("{} is the profile's owner, who has admin already: leave them out",
                            *email));
        continue;
      }
      if (!seen.insert(*email).second) {
        problem(item_line, "contributors",
                fmt::format("{} is listed twice: give each contributor one role", *email));
        continue;
      }
      profile.contributors.push_back({*email, *role});
    }
  }

  static Result<void> checked_hash(const std::string& hash, const std::string& where) {
    auto cost = dex::bcrypt_cost(hash);
    if (!cost)
      return make_error(
          ErrorCode::kInvalidArgument,
          fmt::format("{} does not hold a bcrypt hash ($2y$...): {}", where, cost.error().message));
    if (*cost < dex::kMinBcryptCost || *cost > dex::kMaxBcryptCost)
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("the hash in {} has cost {}, and Dex refuses logins unless "
                                    "the cost is {}..{}",
                                    where, *cost, dex::kMinBcryptCost, dex::kMaxBcryptCost));
    return {};
  }

  Tenants& out_;
  std::string source_;
  const TenantsReadOptions& options_;
  yaml::LineIndex lines_;
  int last_line_ = 1;
  std::map<std::string, int> profile_lines_;  // profile name → line, inline ones included
};

}  // namespace

std::string HashSource::describe() const {
  switch (kind) {
    case Kind::kNone:
      return "no hash";
    case Kind::kInline:
      return "the file";
    case Kind::kEnv:
      return "environment variable " + name;
    case Kind::kFile:
      return "file " + name;
    case Kind::kSecretKey:
      return fmt::format("Secret {}/{} key {}", ns, name, key);
  }
  return "";
}

Tenants read_tenants(std::string_view text, std::string source, const TenantsReadOptions& options) {
  Tenants out;
  FileReader reader(out, std::move(source), options);
  reader.read(text);
  // A file with problems is not applied at all: keep only the problems, so that no caller can
  // apply half of it by mistake.
  if (!out.problems.empty()) {
    out.users.clear();
    out.profiles.clear();
  }
  return out;
}

void merge_tenants(Tenants& into, Tenants from) {
  auto problem = [&](const std::string& source, int line, const char* field, std::string message) {
    into.problems.push_back({source, line, field, std::move(message)});
  };
  for (auto& p : from.problems) into.problems.push_back(std::move(p));
  if (!from.set_source.empty()) {
    if (into.set_source.empty()) {
      into.set = from.set;
      into.set_source = from.set_source;
    } else if (into.set != from.set) {
      const size_t colon = from.set_source.rfind(':');
      problem(from.set_source.substr(0, colon), std::atoi(from.set_source.c_str() + colon + 1),
              "metadata.name",
              fmt::format("set {} here, but {} names set {}: files applied together are one set; "
                          "give them the same metadata.name",
                          from.set, into.set_source, into.set));
    }
  }
  std::map<std::string, const TenantUser*> emails, user_ids;
  for (const auto& u : into.users) {
    emails[u.email] = &u;
    if (u.user_id) user_ids[*u.user_id] = &u;
  }
  std::map<std::string, const TenantProfile*> profiles;
  for (const auto& p : into.profiles) profiles[p.name] = &p;
  std::vector<TenantUser> users;
  std::set<int> repeated_lines;  // entries refused: their inline profiles are no second problem
  for (auto& u : from.users) {
    if (auto it = emails.find(u.email); it != emails.end()) {
      problem(u.source, u.line, "email",
              fmt::format("{} is also in {}:{}: list each user in one file", u.email,
                          it->second->source, it->second->line));
      repeated_lines.insert(u.line);
      continue;
    }
    if (u.user_id)
      if (auto it = user_ids.find(*u.user_id); it != user_ids.end()) {
        problem(u.source, u.line, "userID",
                fmt::format("user ID {} is also {}'s ({}:{}): Dex puts it in the `sub` claim, so "
                            "give each user their own",
                            quote_for_message(*u.user_id), it->second->email, it->second->source,
                            it->second->line));
        continue;
      }
    users.push_back(std::move(u));
  }
  std::vector<TenantProfile> kept_profiles;
  for (auto& p : from.profiles) {
    if (repeated_lines.count(p.line)) continue;
    if (auto it = profiles.find(p.name); it != profiles.end()) {
      problem(p.source, p.line, "profile",
              fmt::format("profile {} is also in {}:{}: list each profile in one file", p.name,
                          it->second->source, it->second->line));
      continue;
    }
    kept_profiles.push_back(std::move(p));
  }
  for (auto& u : users) into.users.push_back(std::move(u));
  for (auto& p : kept_profiles) into.profiles.push_back(std::move(p));
  if (!into.problems.empty()) {
    into.users.clear();
    into.profiles.clear();
  }
}

std::string describe(const TenantsProblem& problem) {
  std::string out = problem.source;
  if (problem.line > 0) out += ":" + std::to_string(problem.line);
  out += ": ";
  if (!problem.field.empty()) out += problem.field + ": ";
  return out + problem.message;
}

}  // namespace kftenant::tenancy
