# Import speed of PyTorch-profiler Chrome traces (MB/s) on a synthetic trace generated at bench time
# into /tmp and deleted afterwards. Size: MOESIM_BENCH_TRACE_MB (default 500). Build Release.
add_executable(moesim_trace_import_bench ${CMAKE_CURRENT_LIST_DIR}/trace_import_bench.cpp)
target_link_libraries(moesim_trace_import_bench PRIVATE moesim_traces benchmark::benchmark)
moesim_target_defaults(moesim_trace_import_bench)
