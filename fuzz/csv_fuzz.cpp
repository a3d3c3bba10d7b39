// This file implements the fuzz target of CSV datasets (read_csv_dataset and
// scan_csv_labels). The first byte picks the options (header row or not; the label
// column by name, by index, or the last), so the fuzzer explores all of them; the rest is
// the file.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_input_file.hpp"
#include "trainers/data/csv_reader.hpp"
#include "util/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static hwnas::fuzz::FuzzInputFile input("data.csv");
  if (size == 0) return 0;
  hwnas::CsvOptions options;
  options.header = (data[0] & 1) != 0;
  switch ((data[0] >> 1) & 3) {
    case 0: break;  // the last column
    case 1: options.label_index = 0; break;
    case 2: options.label_index = data[0] >> 3; break;
    case 3: options.label_name = "label"; break;
  }
  const std::string& path = input.write(data + 1, size - 1);
  try {
    hwnas::read_csv_dataset(path, options);
  } catch (const hwnas::UserError&) {
  }
  try {
    hwnas::scan_csv_labels(path, options);
  } catch (const hwnas::UserError&) {
  }
  return 0;
}
