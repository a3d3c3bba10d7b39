// This file implements the TF Lite Micro deploy files of an exported model: the .tflite
// flatbuffer as a 16-byte aligned C array (model_data.cc), and model_data.h with the
// tensor arena size our tflm-cmsis-nn memory plan predicts and a function that registers
// exactly the operators the model uses with a MicroMutableOpResolver (docs/deploy.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "exporters/c_export.hpp"

namespace hwnas {

/// The tensor arena one board needs: the planned activations and scratch plus the
/// interpreter's persistent allocations (RamBreakdown arena + persistent).
struct TflmArena {
  std::string board;
  int64_t bytes = 0;
};

/// model_data.h and model_data.cc of `flatbuffer`. `resolver_methods` are
/// the TfliteFile's resolver_methods; kTensorArenaSize is the largest of `arenas`,
/// each of which model_data.h lists. `description` opens model_data.h.
std::vector<SourceFile> export_tflm_sources(const std::string& flatbuffer, const std::vector<std::string>& resolver_methods,
                                            const std::vector<TflmArena>& arenas, const std::string& description);

}  // namespace hwnas
