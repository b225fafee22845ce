// Helpers shared by the search tests: the small plans in tests/search/data.
#pragma once

#include <string>

#include "configs/plan_spec.hpp"

namespace moesim::planner::search::test {

inline std::string data_path(const std::string& name) { return std::string(MOESIM_SEARCH_TEST_DATA) + "/" + name; }

inline configs::PlanSpec load_plan(const std::string& name) {
  Result<configs::PlanSpec> p = configs::load_plan_spec(data_path(name));
  if (!p.ok()) throw std::runtime_error(p.errors().front().message);
  return p.value();
}

}  // namespace moesim::planner::search::test
