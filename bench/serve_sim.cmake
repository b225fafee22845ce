# Serving simulation (issue 6): wall time and peak memory of `simulate_serving` for 100,000
# requests on the T2 deployment (and the EP320 one). Build Release; run on 2 cores.
add_executable(moesim_serve_sim_bench ${CMAKE_CURRENT_LIST_DIR}/serve_sim_bench.cpp)
target_link_libraries(moesim_serve_sim_bench PRIVATE moesim_serving benchmark::benchmark)
moesim_target_defaults(moesim_serve_sim_bench)
