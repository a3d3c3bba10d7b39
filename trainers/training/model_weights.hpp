// This file implements the on-disk form of a trained network's weights: weights.bin
// (little-endian float32: the trainable parameters, then the batch-norm moving
// statistics, in Network::blocks() order) and weights.json (the manifest naming every
// block's layer, slice and shape), so the exporters can reload a model and users can read
// it with numpy.fromfile(..., "<f4").
#pragma once

#include <string>

#include "space/architecture.hpp"
#include "trainers/training/trainer.hpp"

namespace hwnas {

/// Writes <dir>/weights.bin and <dir>/weights.json (each atomically; the manifest last,
/// so a manifest always describes a complete weights file). @throws UserError on I/O errors.
void save_model_weights(const std::string& dir, const Architecture& arch, const TrainedModel& model);

/// Reads what save_model_weights wrote for `arch` (result left at its defaults).
/// @throws UserError (one line, naming the file) when the files are missing, truncated,
/// or do not describe `arch`'s parameters.
TrainedModel load_model_weights(const std::string& dir, const Architecture& arch);

}  // namespace hwnas
