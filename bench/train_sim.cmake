# Training-step simulation (issue 5): wall time of `simulate_training` for the T1 scenario, and how
# it grows from 256 to 2,048 GPUs. Build Release; run on 2 cores.
add_executable(moesim_train_sim_bench ${CMAKE_CURRENT_LIST_DIR}/train_sim_bench.cpp)
target_link_libraries(moesim_train_sim_bench PRIVATE moesim_sim moesim_configs benchmark::benchmark)
moesim_target_defaults(moesim_train_sim_bench)
