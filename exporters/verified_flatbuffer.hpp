// This file implements VerifiedFlatbuffer, field access into an untrusted flatbuffer by
// field id (flatbuffers' untyped Table API) that verifies every table, vector and string
// against the buffer's bounds before reading it, and turns any violation into one
// UserError naming the file. The TF Lite reader (tflite_import.cpp) reads through it.
#pragma once

#include <string>
#include <vector>

#include <flatbuffers/flatbuffers.h>

#include "exporters/tflite_schema.hpp"
#include "util/errors.hpp"

namespace hwnas {

// Errors read "FILE: not a KIND hwnas can read: WHAT". Field ids are schema field numbers
// (tflite::slot). `bytes` must outlive the reader.
class VerifiedFlatbuffer {
 public:
  VerifiedFlatbuffer(const std::string& bytes, std::string file, std::string kind)
      : m_data(reinterpret_cast<const uint8_t*>(bytes.data())),
        m_file(std::move(file)),
        m_kind(std::move(kind)),
        m_verifier(m_data, bytes.size(), flatbuffers::Verifier::Options{}) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw UserError(m_file + ": not a " + m_kind + " hwnas can read: " + what);
  }

  /// The root table of a buffer of `size` bytes whose file identifier is `identifier`.
  const flatbuffers::Table* root(size_t size, const char* identifier) {
    if (size < 8 || !flatbuffers::BufferHasIdentifier(m_data, identifier))
      fail(std::string("no flatbuffer of this kind (expected the file identifier \"") + identifier + "\" at byte 4)");
    const flatbuffers::uoffset_t offset = m_verifier.VerifyOffset(0);
    if (offset == 0) fail("the root offset points outside the file");
    return checked_table(reinterpret_cast<const flatbuffers::Table*>(m_data + offset), "root");
  }

  template <typename T>
  T scalar(const flatbuffers::Table* t, int id, T fallback, const char* what) {
    if (!t->VerifyField<T>(m_verifier, tflite::slot(id), sizeof(T))) fail(std::string("corrupt field ") + what);
    return t->GetField<T>(tflite::slot(id), fallback);
  }

  const flatbuffers::Table* table(const flatbuffers::Table* t, int id, const char* what) {
    if (!t->VerifyOffset(m_verifier, tflite::slot(id))) fail(std::string("corrupt offset to ") + what);
    const auto* child = t->GetPointer<const flatbuffers::Table*>(tflite::slot(id));
    return child ? checked_table(child, what) : nullptr;
  }

  template <typename T>
  std::vector<T> scalars(const flatbuffers::Table* t, int id, const char* what) {
    const auto* v = vector<T>(t, id, what);
    return v ? std::vector<T>(v->begin(), v->end()) : std::vector<T>{};
  }

  std::vector<const flatbuffers::Table*> tables(const flatbuffers::Table* t, int id, const char* what) {
    std::vector<const flatbuffers::Table*> out;
    const auto* v = vector<flatbuffers::Offset<flatbuffers::Table>>(t, id, what);
    if (!v) return out;
    for (flatbuffers::uoffset_t i = 0; i < v->size(); ++i) out.push_back(checked_table(v->Get(i), what));
    return out;
  }

  std::string string(const flatbuffers::Table* t, int id, const char* what) {
    if (!t->VerifyOffset(m_verifier, tflite::slot(id))) fail(std::string("corrupt offset to ") + what);
    const auto* s = t->GetPointer<const flatbuffers::String*>(tflite::slot(id));
    if (!m_verifier.VerifyString(s)) fail(std::string("corrupt string ") + what);
    return s ? s->str() : std::string();
  }

  /// The bytes of a Buffer table's data (empty when it has none).
  std::vector<uint8_t> bytes(const flatbuffers::Table* buffer) { return scalars<uint8_t>(buffer, tflite::buffer::kData, "buffer data"); }

 private:
  const flatbuffers::Table* checked_table(const flatbuffers::Table* t, const char* what) {
    if (!t->VerifyTableStart(m_verifier)) fail(std::string("corrupt table ") + what);
    m_verifier.EndTable();  // fields are verified one by one as they are read
    return t;
  }

  template <typename T>
  const flatbuffers::Vector<T>* vector(const flatbuffers::Table* t, int id, const char* what) {
    if (!t->VerifyOffset(m_verifier, tflite::slot(id))) fail(std::string("corrupt offset to ") + what);
    const auto* v = t->GetPointer<const flatbuffers::Vector<T>*>(tflite::slot(id));
    if (!m_verifier.VerifyVector(v)) fail(std::string("corrupt vector ") + what);
    return v;
  }

  const uint8_t* m_data;
  std::string m_file, m_kind;
  flatbuffers::Verifier m_verifier;
};

}  // namespace hwnas
