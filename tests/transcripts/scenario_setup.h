// What existed or happened around the recorded exchanges but was not recorded ("Setup
// (unrecorded)" notes, step notes such as "two ConfigMaps labelled rec-col=1 were created
// beforehand (unrecorded)"), replayed so that the test server starts from the same state.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "transcripts/normalize.h"

namespace kftenant::transcripts {

struct SetupAction {
  std::string before_step;             // "" = before the first exchange
  std::chrono::milliseconds sleep{0};  // wait instead of a request
  std::string method;
  std::string path;
  std::string content_type;
  Json body;
};

struct ScenarioSetup {
  std::vector<SetupAction> actions;
  // Steps whose <continue> is the FIRST token of the replay, not the latest: in 19 the recorder
  // re-used page 1's token (the answers show page 1's snapshot).
  std::vector<std::string> steps_using_first_continue;
};

// Every scenario starts with namespace `rec` (created by the replay itself, like the recorder's
// random namespace); this adds the scenario-specific setup.
[[nodiscard]] ScenarioSetup setup_for(const std::string& scenario);

}  // namespace kftenant::transcripts
