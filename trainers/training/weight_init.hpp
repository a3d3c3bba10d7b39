// This file implements parameter initialisation from a seed: He (Kaiming) normal for
// convolutions, Glorot (Xavier) uniform for dense layers, constants for biases and
// batch-norm parameters.
#pragma once

#include <cstdint>

#include "trainers/kernels/op_kernel.hpp"

namespace hwnas {

/// Fills out[0 .. spec.size) as spec.init says, from its own random stream `seed`.
///  - kHeNormal: normal with std sqrt(2 / fan_in) truncated at two standard deviations
///    and rescaled to keep that std (Keras' he_normal; He et al. 2015).
///  - kGlorotUniform: uniform in +-sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio 2010).
///  - kZeros, kOnes: constants.
void init_param(const ParamSpec& spec, uint64_t seed, float* out);

}  // namespace hwnas
