// Pipeline-parallel schedules (1F1B, ZB1P, DualPipe) as per-rank task orders, and an event-driven
// executor that runs them over given chunk times. Pure C++: no SimGrid (the network times it needs
// come from the SimGrid collectives). Used by the training step and checked against the bubble
// formulas of table T4 (shared/reference/published.md).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "models/result.hpp"

namespace moesim::sim {

enum class ScheduleKind { k1F1B, kZb1p, kDualPipe };

const char* schedule_name(ScheduleKind kind);

enum class TaskKind {
  kForward,
  kBackward,          // full backward: input and weight gradients together
  kBackwardInput,     // input gradient only; its weight gradient is queued for a later kWeight
  kWeight,            // the oldest queued weight gradient of this rank
  kForwardBackward,   // DualPipe: a forward of `chunk` overlapped with a full backward of `chunk2`
};

// `chunk` selects which of the rank's model chunks: always 0 except in DualPipe, where chunk c of a
// rank in the first half runs direction c and in the second half direction 1 - c.
struct ScheduleTask {
  TaskKind kind = TaskKind::kForward;
  int chunk = 0;
  int chunk2 = 0;  // kForwardBackward: the backward's chunk
  // DualPipe posts some sends late: the output of this task is sent only when the rank finishes
  // its next `send_delay` tasks (0 = at the end of this task).
  int send_delay = 0;
};

// Task order of every rank. REQUIRES (checked): pp >= 1, micro_batches >= 1; DualPipe: pp even and
// micro_batches even and >= 2 * pp.
Result<std::vector<std::vector<ScheduleTask>>> build_schedule(ScheduleKind kind, int pp, int micro_batches);

// Times of one micro-batch through pipeline stage v (index into the vectors).
struct StageCosts {
  std::vector<double> forward_s;
  std::vector<double> backward_input_s;
  std::vector<double> weight_s;
  // Time of a forward of stage `f` overlapped with a full backward of stage `b` on one rank;
  // default (empty) = no overlap: the sum of the two.
  std::function<double(int f, int b)> overlapped_s;
  double p2p_s = 0;  // activation (or gradient) send between adjacent stages
};

struct PipelineEvent {
  int rank = 0;
  std::string name;  // "F3", "B3", "I3" (input grad), "W3", "F3+B1"
  int stage = 0;   // stage of the (forward) task
  int stage2 = 0;  // kForwardBackward: stage of the backward
  double start_s = 0, end_s = 0;
};

struct PipelineResult {
  double makespan_s = 0;
  std::vector<double> busy_s;    // per rank
  std::vector<double> bubble_s;  // per rank: makespan - busy
  std::vector<PipelineEvent> events;
};

// Runs the schedule: each task starts when its rank is free and its inputs have arrived (previous
// stage's forward / next stage's backward plus p2p_s). ZB1P places weight tasks greedily into the
// idle time of its rank (ZB-H1); the others follow their fixed orders.
Result<PipelineResult> run_pipeline(ScheduleKind kind, int pp, int micro_batches, const StageCosts& costs);

// The T4 formulas with F, B (full backward) and W per chunk, and F&B an overlapped pair.
double bubble_formula(ScheduleKind kind, int pp, double f, double b, double w, double f_and_b);

}  // namespace moesim::sim
