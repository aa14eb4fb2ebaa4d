// Unit tests of the pure parts of the transcript replay: normaliser, placeholder substitution,
// structural diff and the transcript reader.
#include "transcripts/normalize.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>

#include "transcripts/compare.h"
#include "transcripts/substitute.h"
#include "transcripts/transcript.h"

namespace kftenant::transcripts {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const std::string kDataDir = std::string(KFTENANT_SOURCE_DIR) + "/tests/data/apiserver-transcripts";

Json parse(const std::string& s) {
  return Json::parse(s);
}

TEST(Normalizer, NumbersResourceVersionsInOneExchangeByValue) {
  Normalizer n;
  // 07 page-1: the list's version is the newest write, its items older ones.
  Json list = parse(R"j({"kind":"ConfigMapList","metadata":{"resourceVersion":"530"},
      "items":[{"metadata":{"name":"a","resourceVersion":"512"}},
               {"metadata":{"name":"b","resourceVersion":"9"}}]})j");
  Json out = n.normalize(list, "");
  EXPECT_EQ(out["metadata"]["resourceVersion"], "<rv:3>");
  EXPECT_EQ(out["items"][0]["metadata"]["resourceVersion"], "<rv:2>");
  EXPECT_EQ(out["items"][1]["metadata"]["resourceVersion"], "<rv:1>");
  // Later exchanges keep the numbers and add new ones after them.
  Json next = n.normalize(
      parse(R"j({"metadata":{"resourceVersion":"5"},"x":{"resourceVersion":"512"}})j"), "");
  EXPECT_EQ(next["x"]["resourceVersion"], "<rv:2>");
  EXPECT_EQ(next["metadata"]["resourceVersion"], "<rv:4>");
  EXPECT_EQ(n.actual_rv(1), "9");
  EXPECT_EQ(n.actual_rv(4), "5");
  EXPECT_EQ(n.actual_rv(5), std::nullopt);
}

TEST(Normalizer, ServerResourceVersionsZeroAndOneAreNumberedToo) {
  // Only the 0/1 the client sent are kept; a server whose counter starts at 1 is normalised.
  Normalizer n;
  Json out =
      n.normalize(parse(R"j({"metadata":{"resourceVersion":"1"}})j"), "GET /x?resourceVersion=1");
  EXPECT_EQ(out["metadata"]["resourceVersion"], "<rv:1>");
}

TEST(Normalizer, WatchLinesAreOneExchange) {
  Normalizer n;
  std::vector<Json> lines = {
      parse(R"j({"type":"ADDED","object":{"metadata":{"resourceVersion":"20"}}})j"),
      parse(
          R"j({"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"30","creationTimestamp":null}}})j"),
      parse(R"j({"type":"MODIFIED","object":{"metadata":{"resourceVersion":"25"}}})j")};
  auto out = n.normalize_exchange(lines, "");
  EXPECT_EQ(out[0]["object"]["metadata"]["resourceVersion"], "<rv:1>");
  EXPECT_EQ(out[2]["object"]["metadata"]["resourceVersion"], "<rv:2>");
  EXPECT_EQ(out[1]["object"]["metadata"]["resourceVersion"], "<rv:3>");
  EXPECT_TRUE(out[1]["object"]["metadata"]["creationTimestamp"].is_null());
}

TEST(Normalizer, TooOldMessageKeepsTheSentLiteral) {
  Normalizer n;
  Json out = n.normalize(
      parse(R"j({"kind":"Status","message":"too old resource version: 1 (4711)"})j"), "");
  EXPECT_EQ(out["message"], "too old resource version: 1 (<rv:1>)");
  Json pre = n.normalize(
      parse(
          R"j({"message":"the ResourceVersion in the precondition (12) does not match the ResourceVersion in record (4711). The object might have been modified"})j"),
      "");
  EXPECT_EQ(pre["message"],
            "the ResourceVersion in the precondition (<rv:2>) does not match the ResourceVersion "
            "in record (<rv:1>). The object might have been modified");
}

TEST(Normalizer, UidsTimesAndUuidsInMessages) {
  Normalizer n;
  const std::string sent = R"j({"preconditions":{"uid":"11111111-2222-3333-4444-555555555555"}})j";
  Json out =
      n.normalize(parse(R"j({"metadata":{"name":"cm","uid":"0b0e9f3a-1111-4222-8333-944455556666",
      "creationTimestamp":"2026-01-01T00:00:00Z","deletionTimestamp":"2026-01-01T00:00:01Z"},
      "spec":{"template":{"metadata":{"creationTimestamp":null}}},
      "status":{"conditions":[{"lastTransitionTime":"2026-01-01T00:00:00Z"}]},
      "message":"the UID in the precondition (11111111-2222-3333-4444-555555555555) does not match the UID in record (0b0e9f3a-1111-4222-8333-944455556666)"})j"),
                  sent);
  EXPECT_EQ(out["metadata"]["uid"], "<uid>");
  EXPECT_EQ(out["metadata"]["creationTimestamp"], "<time>");
  EXPECT_EQ(out["metadata"]["deletionTimestamp"], "<time>");
  EXPECT_TRUE(out["spec"]["template"]["metadata"]["creationTimestamp"].is_null());
  EXPECT_EQ(out["status"]["conditions"][0]["lastTransitionTime"], "<time>");
  EXPECT_EQ(out["message"],
            "the UID in the precondition (11111111-2222-3333-4444-555555555555) does not match the "
            "UID in record (<uid>)");
  EXPECT_EQ(n.uid_of("cm"), "0b0e9f3a-1111-4222-8333-944455556666");
  EXPECT_EQ(n.creation_timestamp_of("cm"), "2026-01-01T00:00:00Z");
}

TEST(Normalizer, AUidTheClientSentIsKeptSoThatAnEchoIsVisible) {
  Normalizer n;
  Json out = n.normalize(parse(R"j({"metadata":{"uid":"11111111-2222-3333-4444-555555555555"}})j"),
                         R"j({"metadata":{"uid":"11111111-2222-3333-4444-555555555555"}})j");
  EXPECT_EQ(out["metadata"]["uid"], "11111111-2222-3333-4444-555555555555");
}

TEST(Normalizer, ManagedFieldsDroppedOrKeptWithoutTime) {
  const std::string body =
      R"j({"metadata":{"name":"x","managedFields":[{"manager":"m","operation":"Apply",
      "time":"2026-01-01T00:00:00Z","fieldsV1":{"f:data":{}}}]}})j";
  Normalizer dropping;
  EXPECT_EQ(dropping.normalize(parse(body), "").dump(), R"j({"metadata":{"name":"x"}})j");
  Normalizer keeping(Normalizer::Options{.keep_managed_fields = true});
  EXPECT_EQ(
      keeping.normalize(parse(body), "").dump(),
      R"j({"metadata":{"name":"x","managedFields":[{"manager":"m","operation":"Apply","fieldsV1":{"f:data":{}}}]}})j");
}

TEST(Normalizer, KeptManagedFieldsAreOrderedAsWithinOneSecond) {
  // kftenant's later write fell in a later second than other's: the server lists it last, as it
  // lists it first when both fall in one second. Without the times both read the same.
  const std::string later = R"j({"metadata":{"managedFields":[
      {"manager":"other","operation":"Apply","time":"2026-01-01T00:00:00Z"},
      {"manager":"kftenant","operation":"Update","time":"2026-01-01T00:00:01Z"},
      {"manager":"kftenant","operation":"Apply","time":"2026-01-01T00:00:01Z"}]}})j";
  Normalizer keeping(Normalizer::Options{.keep_managed_fields = true});
  Json out = keeping.normalize(parse(later), "");
  std::vector<std::string> order;
  for (const auto& e : out["metadata"]["managedFields"]) {
    order.push_back(e["operation"].get<std::string>() + "/" + e["manager"].get<std::string>());
  }
  EXPECT_EQ(order, (std::vector<std::string>{"Apply/kftenant", "Apply/other", "Update/kftenant"}));
}

TEST(Normalizer, ContinueTokensGeneratedNamesRootCaAndServerAddress) {
  Normalizer n;
  Json out = n.normalize(parse(R"j({"metadata":{"resourceVersion":"7","continue":"tok1"},"items":[
      {"metadata":{"name":"rec-gen-x7k2p","generateName":"rec-gen-"}},
      {"metadata":{"name":"kube-root-ca.crt"},"data":{"ca.crt":"-----BEGIN CERTIFICATE-----"}}],
      "serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"127.0.0.1:4433"}]})j"),
                         "");
  EXPECT_EQ(out["metadata"]["continue"], "<continue>");
  EXPECT_EQ(out["items"][0]["metadata"]["name"], "rec-gen-<random5>");
  EXPECT_EQ(out["items"][1]["data"]["ca.crt"], "<cluster CA certificate, PEM>");
  EXPECT_EQ(out["serverAddressByClientCIDRs"][0]["serverAddress"], "<host:port>");
  Json empty = n.normalize(parse(R"j({"metadata":{"continue":""}})j"), "");
  EXPECT_EQ(empty["metadata"]["continue"], "");
  EXPECT_THAT(n.continue_tokens(), ElementsAre("tok1"));
}

TEST(Normalizer, YamlText) {
  Normalizer n;
  const std::string yaml =
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  creationTimestamp: \"2026-01-01T00:00:00Z\"\n"
      "  managedFields:\n  - apiVersion: v1\n    manager: m\n    time: \"2026-01-01T00:00:00Z\"\n"
      "  name: x\n  resourceVersion: \"812\"\n  uid: 0b0e9f3a-1111-4222-8333-944455556666\n";
  EXPECT_EQ(n.normalize_text(yaml, ""),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  creationTimestamp: \"<time>\"\n"
            "  name: x\n  resourceVersion: \"<rv:1>\"\n  uid: <uid>\n");
  EXPECT_EQ(n.normalize_text("404 page not found\n", ""), "404 page not found\n");
}

TEST(Substitute, PathAndBody) {
  Normalizer n;
  (void)n.normalize(parse(R"j({"metadata":{"name":"rec-cm-put","uid":"u-1","resourceVersion":"41",
      "creationTimestamp":"T1","continue":"a+b/c="}})j"),
                    "");
  (void)n.normalize(
      parse(
          R"j({"metadata":{"name":"owner","uid":"u-2","resourceVersion":"42","continue":"second"}})j"),
      "");
  auto path = substitute_path("/api/v1/x?resourceVersion=<rv:1>&continue=<continue>", n);
  ASSERT_TRUE(path);
  EXPECT_EQ(*path, "/api/v1/x?resourceVersion=41&continue=second");
  auto first = substitute_path("/x?continue=<continue>", n, ContinueChoice{0});
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, "/x?continue=a%2Bb%2Fc%3D");
  EXPECT_FALSE(substitute_path("/x?resourceVersion=<rv:9>", n));

  auto body = substitute_body(
      parse(
          R"j({"metadata":{"name":"rec-cm-other","uid":"<uid>","resourceVersion":"<rv:2>","creationTimestamp":"<time>",
          "ownerReferences":[{"name":"owner","uid":"<uid>"}]},"preconditions":{"uid":"<uid>"}})j"),
      "/api/v1/namespaces/rec/configmaps/rec-cm-put", n);
  ASSERT_TRUE(body);
  EXPECT_EQ((*body)["metadata"]["uid"], "u-1");  // unknown name: the URL's object
  EXPECT_EQ((*body)["metadata"]["resourceVersion"], "42");
  EXPECT_EQ((*body)["metadata"]["creationTimestamp"], "T1");
  EXPECT_EQ((*body)["metadata"]["ownerReferences"][0]["uid"], "u-2");
  EXPECT_EQ((*body)["preconditions"]["uid"], "u-1");
  EXPECT_EQ(url_object_name("/apis/kubeflow.org/v1/profiles/p/status?x=1"), "p");
}

TEST(Substitute, AlignedResourceVersionsWinOverTheReplayNumbering) {
  // The recording saw an extra revision (an unrelated write), so its <rv:6> is this replay's
  // <rv:4>.
  Normalizer n;
  (void)n.normalize(parse(R"j({"a":{"resourceVersion":"10"},"b":{"resourceVersion":"11"},
      "c":{"resourceVersion":"12"},"d":{"resourceVersion":"13"}})j"),
                    "");
  align_rvs(parse(R"j({"metadata":{"resourceVersion":"<rv:6>"}})j"),
            parse(R"j({"metadata":{"resourceVersion":"<rv:4>"}})j"), n);
  EXPECT_EQ(n.actual_rv(6), "13");
  EXPECT_EQ(n.actual_rv(2), "11");
  auto path = substitute_path("/x?resourceVersion=<rv:6>", n);
  ASSERT_TRUE(path);
  EXPECT_EQ(*path, "/x?resourceVersion=13");
}

TEST(Compare, ReportsValuesMissingExtraAndKeyOrder) {
  EXPECT_THAT(diff_json(parse(R"j({"a":1,"b":[1,2]})j"), parse(R"j({"a":1,"b":[1,2]})j")),
              IsEmpty());
  auto d = diff_json(parse(R"j({"kind":"Status","code":404,"details":{"name":"x"}})j"),
                     parse(R"j({"code":409,"kind":"Status","extra":true})j"));
  EXPECT_THAT(
      d, ElementsAre("code: expected 404, got 409", "details: missing (expected {\"name\":\"x\"})",
                     "extra: unexpected true",
                     "(body): key order expected [kind,code,details], got [code,kind,extra]"));
  EXPECT_THAT(diff_json(parse("[1]"), parse("[1,2]")), ElementsAre(HasSubstr("expected 1 items")));
  EXPECT_EQ(diff_text("a\nb\n", "a\nb\n"), "");
  EXPECT_EQ(diff_text("a\nb\n", "a\nc\n"), R"j(line 2: expected "b", got "c")j");
}

// De-normalising every recorded answer (placeholders -> plausible server values) and normalising
// it again must give the recording back: this checks the normaliser against all 20 files.
class Denormalizer {
 public:
  Json apply(const Json& node) {
    if (node.is_object()) {
      Json out = Json::object();
      for (auto it = node.begin(); it != node.end(); ++it) out[it.key()] = apply(*it);
      return out;
    }
    if (node.is_array()) {
      Json out = Json::array();
      for (const auto& item : node) out.push_back(apply(item));
      return out;
    }
    if (node.is_string()) return text(node.get<std::string>());
    return node;
  }

  std::string text(std::string s) {
    static const std::regex rv(R"j(<rv:([0-9]+)>)j");
    std::string out;
    std::smatch m;
    while (std::regex_search(s, m, rv)) {
      out += m.prefix().str() + std::to_string(1000 + std::stoi(m.str(1)));
      s = m.suffix().str();
    }
    out += s;
    replace_all(out, "<uid>", [&] { return fresh_uuid(); });
    replace_all(out, "<time>", [] { return std::string("2026-03-04T05:06:07Z"); });
    replace_all(out, "<continue>", [&] { return "tok-" + std::to_string(++tokens_); });
    replace_all(out, "<random5>", [] { return std::string("x7k2p"); });
    replace_all(out, "<host:port>", [] { return std::string("10.0.0.1:6443"); });
    replace_all(out, "<cluster CA certificate, PEM>", [] {
      return std::string("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    });
    return out;
  }

 private:
  template <typename F>
  static void replace_all(std::string& s, const std::string& from, F to) {
    for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p)) {
      std::string with = to();
      s.replace(p, from.size(), with);
      p += with.size();
    }
  }
  std::string fresh_uuid() {
    char buf[40];
    snprintf(buf, sizeof buf, "0b0e9f3a-1111-4222-8333-%012d", ++uuids_);
    return buf;
  }
  int uuids_ = 0;
  int tokens_ = 0;
};

TEST(Normalizer, RoundTripsEveryRecordedAnswer) {
  auto files = transcript_files(kDataDir);
  ASSERT_EQ(files.size(), 20u);
  for (const auto& file : files) {
    auto t = load_transcript(file);
    ASSERT_TRUE(t) << t.error().message;
    Normalizer n(Normalizer::Options{.keep_managed_fields = t->scenario == "15-server-side-apply"});
    Denormalizer d;
    for (const auto& x : t->exchanges) {
      SCOPED_TRACE(t->scenario + " / " + x.step);
      const Json& expected = x.response.body;
      if (x.is_watch_stream()) {
        std::vector<Json> lines;
        for (const auto& line : expected) lines.push_back(d.apply(line));
        auto out = n.normalize_exchange(lines, x.sent_text());
        ASSERT_EQ(out.size(), expected.size());
        for (size_t i = 0; i < out.size(); ++i) EXPECT_EQ(out[i].dump(), expected[i].dump());
      } else if (expected.is_string()) {
        EXPECT_EQ(n.normalize_text(d.text(expected.get<std::string>()), x.sent_text()),
                  expected.get<std::string>());
      } else {
        EXPECT_EQ(n.normalize(d.apply(expected), x.sent_text()).dump(), expected.dump());
      }
    }
  }
}

TEST(Transcript, ReadsNotesConcurrencyAndPolling) {
  auto t = load_transcript(kDataDir + "/08-watch.json");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->scenario, "08-watch");
  ASSERT_GE(t->exchanges.size(), 5u);
  EXPECT_TRUE(t->exchanges[1].is_watch_stream());
  EXPECT_EQ(t->exchanges[2].during_watch, "watch-from-list-rv");
  EXPECT_FALSE(t->exchanges[2].is_watch_stream());
  auto ns = load_transcript(kDataDir + "/11-namespace-deletion.json");
  ASSERT_TRUE(ns);
  EXPECT_TRUE(ns->exchanges[5].polled);
  EXPECT_FALSE(parse_transcript("[]"));
}

}  // namespace
}  // namespace kftenant::transcripts
