// This file implements durable file output: atomic replacement (write a temporary file,
// fsync, rename, fsync the directory) for checkpoints and reports, and durable line
// appends for result logs such as history.jsonl.
#pragma once

#include <string>

namespace hwnas {

/// Replaces `path` with `content` so that a crash leaves either the old or the new file,
/// never a torn one. @throws EnvironmentError on I/O failure.
void write_file_atomically(const std::string& path, const std::string& content);

/// Removes, under `folder` (recursively), the temporary files of write_file_atomically
/// that a killed process left behind; returns how many. Only for a folder this process
/// owns (a resumed run's directory): another writer's temporaries would go too.
int remove_abandoned_temporaries(const std::string& folder);

/// Creates the folder `path` and its parents when missing. @throws UserError when a part of
/// the path is a file, EnvironmentError when the system refuses (permissions, a full disk).
void create_folders(const std::string& path);

/// The whole content of `path`. @throws UserError when it cannot be read.
std::string read_file_text(const std::string& path);

/// Appends one line (a '\n' is added) and fsyncs, so that a finished result survives a
/// SIGKILL right after this call. @throws EnvironmentError on I/O failure.
void append_line_durably(const std::string& path, const std::string& line);

}  // namespace hwnas
