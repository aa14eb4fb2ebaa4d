// The normalisation of tests/data/apiserver-transcripts/README.md, applied to the answers of the
// test API server so that they can be compared with the recordings of a real kube-apiserver.
//
// A Normalizer lives for the replay of one transcript file: resourceVersions are numbered <rv:N>
// by first appearance within the file (values first seen in the same exchange in increasing
// numeric order), so it keeps state. It also remembers the actual values behind each placeholder
// (<rv:N>, <continue>, each object's uid and creationTimestamp) so that requests recorded with
// placeholders can be sent with the real values (see substitute.h).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kftenant::transcripts {

using Json = nlohmann::ordered_json;

class Normalizer {
 public:
  struct Options {
    // Scenario 15 keeps metadata.managedFields (minus `time`); everywhere else they are dropped.
    bool keep_managed_fields = false;
  };

  Normalizer() = default;
  explicit Normalizer(Options options) : options_(options) {}

  // Normalises the JSON bodies of one exchange (one body, or every line of a watch stream).
  // `sent` is the request as RECORDED (path, query and body text, placeholders not substituted):
  // UUIDs that occur in it are ours, not the server's, and are kept verbatim as the recordings
  // keep them.
  [[nodiscard]] std::vector<Json> normalize_exchange(std::vector<Json> bodies,
                                                     std::string_view sent);
  [[nodiscard]] Json normalize(Json body, std::string_view sent);

  // Normalises a non-JSON body (YAML answers, plain text) line by line.
  [[nodiscard]] std::string normalize_text(const std::string& text, std::string_view sent);

  // --- what the placeholders stood for --------------------------------------------------------
  // The actual resourceVersion the RECORDING's <rv:N> stands for: the value aligned with it by
  // alias_rv() if any (robust when an unrelated write shifted the numbering), else the value this
  // replay numbered N.
  [[nodiscard]] std::optional<std::string> actual_rv(int n) const;
  // The actual value this replay numbered N itself (aliases not consulted), or nullopt.
  [[nodiscard]] std::optional<std::string> own_rv(int n) const;
  // Records that the recording's <rv:recorded_n> sat where this replay's <rv:replay_n> is.
  void alias_rv(int recorded_n, int replay_n);
  // Continue tokens in the order the server issued them.
  [[nodiscard]] const std::vector<std::string>& continue_tokens() const { return continue_tokens_; }
  // The last uid / creationTimestamp seen for an object name (metadata, Status details, owners).
  [[nodiscard]] std::optional<std::string> uid_of(const std::string& name) const;
  [[nodiscard]] std::optional<std::string> creation_timestamp_of(const std::string& name) const;

 private:
  void collect_rvs(const Json& node, std::vector<std::string>& out) const;
  void collect_rvs_in_message(const std::string& message, std::vector<std::string>& out) const;
  void number_new(std::vector<std::string> values);
  std::string rv_placeholder(const std::string& value) const;
  std::string normalize_message(const std::string& message, std::string_view sent) const;
  void normalize_node(Json& node, std::string_view sent);
  void remember(const Json& object);

  Options options_;
  std::map<std::string, int> rv_numbers_;  // actual value -> N
  std::vector<std::string> rv_values_;     // N-1 -> actual value
  std::map<int, std::string> rv_aliases_;  // recorded N -> actual value
  std::vector<std::string> continue_tokens_;
  std::map<std::string, std::string> uids_;
  std::map<std::string, std::string> creation_timestamps_;
  std::map<std::string, std::string> generated_names_;  // actual generated name -> placeholder
};

// Orders numeric strings by value ("9" < "10"); non-numeric strings sort after, lexically.
[[nodiscard]] bool rv_less(const std::string& a, const std::string& b);

// True for a lowercase 8-4-4-4-12 hex UUID.
[[nodiscard]] bool is_uuid(std::string_view s);

}  // namespace kftenant::transcripts
