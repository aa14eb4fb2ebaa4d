// Composing plans: several planners, one plan, one write per object.
//
// compose() runs planners one after another over one PlanView, so that each sees what the
// earlier ones planned, and merge_steps() folds the result: adding a thousand Dex users is a
// thousand edits of config.yaml planned in turn, applied as one replace of the ConfigMap and one
// restart of Dex.
#pragma once

#include <string>
#include <vector>

#include "kftenant/plan/plan.h"

namespace kftenant::plan {

// A planner that runs `parts` in order over one PlanView of the store it is given (a view of that
// view when it is one already), each part seeing the steps of the parts before it, and returns
// their steps merged (merge_steps), their notes and placeholders in order. The first error stops
// it and is returned as it is.
[[nodiscard]] Planner compose(std::vector<Planner> parts);

// The steps with every series of writes to one object folded into one write, where the first
// write of the series was; each change's summary is kept (up to three are shown, then "and N
// more"). Per object, in order:
//   create, replace*             → one create of the last object
//   replace, replace*            → one replace from the first `before` to the last `after`
//   create, replace*, delete     → nothing
//   replace*, delete             → one delete with the first `before` (its resourceVersion)
// A delete followed by a create stays two steps (the object is new: another uid). Restarts of a
// Deployment become one restart at the place of the last one (from the first `before`, with the
// last one's `after` and refresh), and so do rollout waits of a Deployment and ready waits of
// the same kind and object: what is restarted or waited for once the changes are all written.
// `writes_password` is set on a merged step when it was on any of its parts.
[[nodiscard]] std::vector<Step> merge_steps(std::vector<Step> steps);

// The summary of one write that folds several changes, as merge_steps writes it: the distinct
// summaries, up to three, then "and N more"; summaries alike but for one part are said once with
// the parts listed ("add Dex user a, b, c and 37 more to staticPasswords in ConfigMap auth/dex").
[[nodiscard]] std::string joined_summary(const std::vector<std::string>& summaries);

}  // namespace kftenant::plan
