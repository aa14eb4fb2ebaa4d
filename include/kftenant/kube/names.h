// Kubernetes' rules for names, label keys and label values, with the API server's own messages
// (k8s.io/apimachinery/pkg/util/validation/validation.go, kube 1.26), and Go's %q quoting the
// server uses in those messages. Shared by the label-selector parser (store) and the test API
// server, so that both say exactly what kube-apiserver says.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kftenant::kube {

// Each returns the list of problems (Go's []string), empty when the value is valid.
// DNS-1123 subdomain: most object names, at most 253 characters.
[[nodiscard]] std::vector<std::string> is_dns1123_subdomain(std::string_view value);
// DNS-1123 label: namespace names, at most 63 characters.
[[nodiscard]] std::vector<std::string> is_dns1123_label(std::string_view value);
// Qualified name ([prefix/]name): label and annotation keys.
[[nodiscard]] std::vector<std::string> is_qualified_name(std::string_view value);
// Label value: empty, or at most 63 alphanumerics with '-', '_', '.' inside.
[[nodiscard]] std::vector<std::string> is_valid_label_value(std::string_view value);

// Go's %q formatting of a string (used inside messages: `Invalid value: "Bad_Name"`).
[[nodiscard]] std::string go_quote(std::string_view s);

}  // namespace kftenant::kube
