# Expert placement (issue 3): speed of the policies at DeepSeek-V3 shapes, and (with --table) the
# 200-instance deepseek-vs-balanced comparison table.
add_executable(moesim_placement_bench ${CMAKE_CURRENT_LIST_DIR}/placement_bench.cpp)
target_link_libraries(moesim_placement_bench PRIVATE moesim_planner benchmark::benchmark)
moesim_target_defaults(moesim_placement_bench)
