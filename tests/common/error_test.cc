// The one table from error codes to exit codes and HTTP statuses (kftenant/error.h).
#include "kftenant/error.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace kftenant {
namespace {

constexpr int kCodes = static_cast<int>(ErrorCode::kInternal) + 1;

TEST(ErrorDisposition, EveryCodeHasItsOwnRow) {
  std::set<std::string_view> names;
  for (int i = 0; i < kCodes; ++i) {
    const auto code = static_cast<ErrorCode>(i);
    const ErrorDisposition& d = disposition(code);
    EXPECT_EQ(d.code, code) << "row " << i << " (" << d.name << ") is out of the enum's order";
    EXPECT_FALSE(d.name.empty());
    EXPECT_TRUE(names.insert(d.name).second) << d.name << " twice";
    EXPECT_EQ(to_string(code), d.name);
    EXPECT_TRUE(d.exit_code == kExitFailure || d.exit_code == kExitUsage ||
                d.exit_code == kExitRefused)
        << d.name;
    EXPECT_GE(d.http_status, 400) << d.name;
    EXPECT_LE(d.http_status, 599) << d.name;
  }
}

TEST(ErrorDisposition, OnlyBadInputIsAUsageErrorAndOnlyExistingStateIsRefused) {
  for (int i = 0; i < kCodes; ++i) {
    const auto code = static_cast<ErrorCode>(i);
    EXPECT_EQ(exit_code_for(code) == kExitUsage, code == ErrorCode::kInvalidArgument)
        << to_string(code);
    // Existing state refuses: what is there, or how much of it (a ConfigMap near 1 MiB).
    EXPECT_EQ(exit_code_for(code) == kExitRefused,
              code == ErrorCode::kRefused || code == ErrorCode::kTooLarge)
        << to_string(code);
  }
  // Broken stored data is the data's fault, not the command line's.
  EXPECT_EQ(exit_code_for(ErrorCode::kStoredData), kExitFailure);
  EXPECT_EQ(exit_code_for(ErrorCode::kParse), kExitFailure);
}

TEST(ErrorDisposition, HttpStatusSaysWhoCanFixIt) {
  // The caller can: 4xx.
  EXPECT_EQ(http_status_for(ErrorCode::kInvalidArgument), 422);
  EXPECT_EQ(http_status_for(ErrorCode::kNotFound), 404);
  EXPECT_EQ(http_status_for(ErrorCode::kForbidden), 403);
  EXPECT_EQ(http_status_for(ErrorCode::kRefused), 409);
  EXPECT_EQ(http_status_for(ErrorCode::kConflict), 409);
  EXPECT_EQ(http_status_for(ErrorCode::kTooManyRequests), 429);
  EXPECT_EQ(http_status_for(ErrorCode::kTooLarge), 413);
  // Only the server side can: 5xx.
  EXPECT_EQ(http_status_for(ErrorCode::kTransport), 503);
  EXPECT_EQ(http_status_for(ErrorCode::kTimeout), 504);
  EXPECT_EQ(http_status_for(ErrorCode::kStoredData), 500);
  EXPECT_EQ(http_status_for(ErrorCode::kInternal), 500);
}

TEST(ErrorDisposition, AValueOutsideTheEnumIsInternal) {
  EXPECT_EQ(disposition(static_cast<ErrorCode>(kCodes + 7)).code, ErrorCode::kInternal);
}

}  // namespace
}  // namespace kftenant
