# Configuration search (issue 8): microseconds per analytical candidate, and the whole default plan's
# analytical search (26,796 candidates) on 1 and 2 threads. The full `moesim plan` with the top 20
# simulated is timed as a command (see the report). Build Release; run on 2 cores.
add_executable(moesim_plan_bench ${CMAKE_CURRENT_LIST_DIR}/plan_bench.cpp)
target_link_libraries(moesim_plan_bench PRIVATE moesim_planner_search benchmark::benchmark)
moesim_target_defaults(moesim_plan_bench)
