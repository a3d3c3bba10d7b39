// This file implements the C exporter: a QuantizedModel becomes self-contained C99 for a
// microcontroller. model.h declares `int model_invoke(const int8_t *input, int8_t *output)`;
// model.c holds the int8 weights, int32 biases and requantisation parameters as const
// arrays (flash), one static arena laid out with the offsets of the estimator's memory
// plan (so the RAM the estimate promised is the RAM the firmware takes), and the fixed
// sequence of kernel calls in the plan's schedule: no interpreter, no malloc, no floating
// point at run time. hwnas_kernels.{h,c}, the same for every model, are the portable int8
// kernels (exporters/c_runtime/), bit-exact with the C++ integer reference.
#pragma once

#include <string>
#include <vector>

#include "estimators/memory_planner.hpp"
#include "space/architecture.hpp"
#include "trainers/deploy/quantized_model.hpp"

namespace hwnas {

struct SourceFile {
  std::string name;  ///< file name, no folder
  std::string text;
};

/// The four C files of `model` (model.h, model.c, hwnas_kernels.h, hwnas_kernels.c).
/// `plan` must plan `model`'s deploy graph (cost_report(...).plan under the hwnas-c
/// runtime profile): its schedule orders the calls, its buffers place the tensors.
/// `description` becomes a comment at the top of model.h (the network, its accuracy).
/// `op_names` (per op of `model`, e.g. the first IR layer of each) name the layers of
/// the per-layer profiling build (-DHWNAS_PROFILE); missing names become "op<i>".
std::vector<SourceFile> export_c(const QuantizedModel& model, const MemoryPlan& plan,
                                 const std::string& description, const std::vector<std::string>& op_names = {});

/// The name of each op of `model` for the profiling build: the first IR layer of `arch`
/// it runs (the name `nas-run calibrate` identifies the op by).
std::vector<std::string> op_layer_names(const Architecture& arch, const QuantizedModel& model);

/// Writes `files` into `dir` (created if missing). @throws UserError naming a file that
/// cannot be written.
void write_source_files(const std::string& dir, const std::vector<SourceFile>& files);

}  // namespace hwnas
