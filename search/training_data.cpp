// This file implements TrainingData (see training_data.hpp).
#include "search/training_data.hpp"

#include <spdlog/spdlog.h>

#include "trainers/data/dataset_resize.hpp"

namespace hwnas {

const DatasetSplits& TrainingData::split(int k) {
  if (k == 0 && m_split0) return *m_split0;
  auto& slot = m_splits[k];
  if (!slot) {
    if (k > 0) spdlog::info("loading validation split {} (search.final_seeds: each training holds out its own)", k);
    slot = std::make_unique<DatasetSplits>(m_load(k));
  }
  return *slot;
}

const DatasetSplits& TrainingData::at(const TensorShape& input, int64_t train_samples, int validation_split) {
  if (validation_split == 0 && m_split0) {  // the common case needs no lock
    const TensorShape& own = m_split0->train.sample_shape;
    const bool subset = train_samples > 0 && size_t(train_samples) < m_split0->train.size();
    if (input.h == own.h && input.w == own.w && !subset) return *m_split0;
  }
  std::lock_guard<std::mutex> lock(m_mutex);
  const DatasetSplits& base = split(validation_split);
  const TensorShape& own = base.train.sample_shape;
  const bool resized = input.h != own.h || input.w != own.w;
  const bool subset = train_samples > 0 && size_t(train_samples) < base.train.size();
  if (!resized && !subset) return base;
  auto& slot = m_variants[{input.h, input.w, subset ? train_samples : 0, validation_split}];
  if (!slot) {
    if (resized)
      spdlog::info("resizing the data from {}x{} to {}x{} for the candidates at that resolution", own.h, own.w,
                   input.h, input.w);
    DatasetSplits splits = resized ? resize_splits(base, input.h, input.w) : base;
    if (subset) splits.train = stratified_subset(splits.train, size_t(train_samples), m_seed);
    slot = std::make_unique<DatasetSplits>(std::move(splits));
  }
  return *slot;
}

}  // namespace hwnas
