// PrefetchedStore: the first read of each object of a listed kind comes from the LIST; later
// reads, and reads after a write of the object (successful or not), are the underlying store's.
#include "kftenant/store/prefetched_store.h"

#include <gtest/gtest.h>

#include "support/memory_store.h"

namespace kftenant::store {
namespace {

// Counts the reads that reach the underlying store.
class CountingStore : public testing::MemoryStore {
 public:
  int gets = 0;
  Result<nlohmann::json> get(const ObjectKey& key) override {
    ++gets;
    return MemoryStore::get(key);
  }
};

nlohmann::json profile(const std::string& name, const std::string& owner) {
  return {{"apiVersion", "kubeflow.org/v1"},
          {"kind", "Profile"},
          {"metadata", {{"name", name}}},
          {"spec", {{"owner", {{"kind", "User"}, {"name", owner}}}}}};
}

const ObjectKey kAnn{"kubeflow.org/v1", "Profile", "", "ann"};
const ObjectKey kBen{"kubeflow.org/v1", "Profile", "", "ben"};

TEST(PrefetchedStore, TheFirstReadOfEachObjectIsTheListsAndLaterOnesAreLive) {
  CountingStore inner;
  inner.seed(profile("ann", "ann@example.com"));
  PrefetchedStore store(inner);
  ASSERT_TRUE(store.prefetch("kubeflow.org/v1", "Profile"));
  // Changed behind the LIST's back: the first read still answers as of the LIST.
  inner.seed(profile("ann", "someone@example.com"));
  inner.seed(profile("ben", "ben@example.com"));
  auto ann = store.get(kAnn);
  ASSERT_TRUE(ann);
  EXPECT_EQ((*ann)["spec"]["owner"]["name"], "ann@example.com");
  auto ben = store.get(kBen);
  ASSERT_FALSE(ben);
  EXPECT_EQ(ben.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(ben.error().message, "Profile ben not found");
  EXPECT_EQ(inner.gets, 0);
  EXPECT_EQ(store.answered_from_list(), 2u);
  // The second read of each is the underlying store's.
  EXPECT_EQ((*store.get(kAnn))["spec"]["owner"]["name"], "someone@example.com");
  EXPECT_TRUE(store.get(kBen));
  EXPECT_EQ(inner.gets, 2);
}

TEST(PrefetchedStore, AnObjectWrittenOrFailingToBeWrittenIsReadLive) {
  CountingStore inner;
  PrefetchedStore store(inner);
  ASSERT_TRUE(store.prefetch("kubeflow.org/v1", "Profile"));
  // Someone creates ann after the LIST: our create fails, and the re-plan must see theirs.
  inner.seed(profile("ann", "someone@example.com"));
  auto created = store.create(profile("ann", "ann@example.com"));
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, ErrorCode::kAlreadyExists);
  auto ann = store.get(kAnn);
  ASSERT_TRUE(ann);
  EXPECT_EQ((*ann)["spec"]["owner"]["name"], "someone@example.com");
  // A successful write: later reads see what was written.
  ASSERT_TRUE(store.create(profile("ben", "ben@example.com")));
  EXPECT_TRUE(store.get(kBen));
  EXPECT_EQ(inner.gets, 2);
  EXPECT_EQ(store.answered_from_list(), 0u);
  EXPECT_EQ(inner.writes, (std::vector<std::string>{"create Profile ben"}));
}

TEST(PrefetchedStore, KindsNotListedOrNotServedAreReadThrough) {
  CountingStore inner;
  inner.unknown_kinds.insert({"dex.coreos.com/v1", "Password"});
  PrefetchedStore store(inner);
  auto listed = store.prefetch("dex.coreos.com/v1", "Password");
  ASSERT_FALSE(listed);
  EXPECT_TRUE(is_kind_not_served(listed.error()));
  auto password = store.get({"dex.coreos.com/v1", "Password", "auth", "x"});
  ASSERT_FALSE(password);
  EXPECT_TRUE(is_kind_not_served(password.error()));
  EXPECT_FALSE(store.get(kAnn));  // Profiles were not listed
  EXPECT_EQ(inner.gets, 2);
  EXPECT_EQ(store.answered_from_list(), 0u);
}

// A pinned object is read once and every read answers from that copy, until it is written
// through the store; an absent one answers NotFound as the server does; a failed read is returned.
TEST(PrefetchedStore, APinnedObjectIsReadOnceUntilWritten) {
  CountingStore inner;
  inner.seed(profile("ann", "ann@example.com"));
  PrefetchedStore store(inner);
  ASSERT_TRUE(store.pin(kAnn));
  ASSERT_TRUE(store.pin(kBen));  // absent
  EXPECT_EQ(inner.gets, 2);
  inner.seed(profile("ann", "someone@example.com"));
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ((*store.get(kAnn))["spec"]["owner"]["name"], "ann@example.com");
    auto ben = store.get(kBen);
    ASSERT_FALSE(ben);
    EXPECT_EQ(ben.error().code, ErrorCode::kNotFound);
    EXPECT_EQ(ben.error().message, "Profile ben not found");
  }
  EXPECT_EQ(inner.gets, 2);
  // Written through the store: read live from then on.
  auto current = inner.get(kAnn);
  ASSERT_TRUE(current);
  ASSERT_TRUE(store.replace(*current));
  EXPECT_EQ((*store.get(kAnn))["spec"]["owner"]["name"], "someone@example.com");
  EXPECT_EQ(inner.gets, 4);

  inner.unknown_kinds.insert({"dex.coreos.com/v1", "Password"});
  auto refused = store.pin({"dex.coreos.com/v1", "Password", "auth", "x"});
  ASSERT_FALSE(refused);
  EXPECT_TRUE(is_kind_not_served(refused.error()));
}

}  // namespace
}  // namespace kftenant::store
