// This file implements write_split_npy (see npy_writer.hpp).
#include "trainers/data/npy_writer.hpp"

#include <bit>
#include <cstdint>
#include <filesystem>
#include <string>

#include "util/atomic_file.hpp"

namespace hwnas {

namespace {

static_assert(std::endian::native == std::endian::little, "the .npy files are written little-endian");

// A NumPy format 1.0 file of `bytes` of data of type `descr` ("<f4", "<i4") and `shape`
// (a Python tuple body, e.g. "10, 28, 28, 1" or "10,").
std::string npy_file(const std::string& descr, const std::string& shape, const void* data, size_t bytes) {
  std::string header =
      std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (" + shape + "), }";
  const size_t unpadded = 10 + header.size() + 1;  // magic, version, length, header, '\n'
  header.append((64 - unpadded % 64) % 64, ' ');   // the data starts 64-byte aligned
  header.push_back('\n');
  std::string out("\x93NUMPY\x01\x00", 8);
  out.push_back(char(header.size() & 0xff));
  out.push_back(char(header.size() >> 8));
  out += header;
  out.append(static_cast<const char*>(data), bytes);
  return out;
}

}  // namespace

void write_split_npy(const Dataset& data, const std::string& dir, const std::string& split) {
  create_folders(dir);
  const TensorShape& s = data.sample_shape;
  const std::string n = std::to_string(data.size());
  write_file_atomically(dir + "/" + split + "_x.npy",
                        npy_file("<f4", n + ", " + std::to_string(s.h) + ", " + std::to_string(s.w) + ", " +
                                            std::to_string(s.c),
                                 data.x.data(), size_t(data.x.size()) * sizeof(float)));
  write_file_atomically(dir + "/" + split + "_y.npy",
                        npy_file("<i4", n + ",", data.y.data(), data.y.size() * sizeof(int32_t)));
}

}  // namespace hwnas
