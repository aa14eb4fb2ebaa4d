// Query-string decoding exactly as kube-apiserver sees it: Go's url.ParseQuery (net/url/url.go,
// go1.19), which the server reaches through req.URL.Query(). Form encoding applies: '+' is a
// space and %XX a byte, in keys and values alike. client-go writes queries with
// url.Values.Encode(), so a set-based selector arrives as `labelSelector=a+in+%28x%2Cy%29`;
// cpp-httplib leaves such '+' undecoded, hence this helper.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kftenant::testserver {

// Values per key, in the order they appear (url.Values).
using QueryValues = std::map<std::string, std::vector<std::string>, std::less<>>;

// Go's url.QueryUnescape: '+' → ' ', %XX → byte; nullopt for a malformed escape ('%' not
// followed by two hex digits).
[[nodiscard]] std::optional<std::string> query_unescape(std::string_view s);

// Go's url.ParseQuery, ignoring its error like req.URL.Query() does: pairs are split at '&',
// empty ones and ones containing ';' are skipped, key and value are split at the first '=' (a
// missing '=' gives an empty value), and a pair whose key or value fails to unescape is dropped.
[[nodiscard]] QueryValues parse_query(std::string_view raw_query);

// url.Values.Get: the first value of `key`, "" when absent.
[[nodiscard]] std::string query_get(const QueryValues& values, std::string_view key);

}  // namespace kftenant::testserver
