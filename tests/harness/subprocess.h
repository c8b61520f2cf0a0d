// Runs a program for a test: captured output with a time limit, or a background child
// ended by its PID.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace berth::testing {

struct RunResult {
  int exit_code = -1;  // -1 when killed by a signal or timed out
  std::string out;
  std::string err;
};

// Runs `argv` to completion (killed after `timeout`); `env` entries "K=V" are added.
RunResult RunCommand(const std::vector<std::string>& argv, const std::vector<std::string>& env = {},
                     std::chrono::seconds timeout = std::chrono::seconds(60));

// Starts `argv` in the background with stdout+stderr appended to `log_path`.
pid_t Spawn(const std::vector<std::string>& argv, const std::string& log_path,
            const std::vector<std::string>& env = {});

// Sends `signal` to `pid` and reaps it; SIGKILL after `grace`. Returns the exit code,
// 128+signal when a signal ended it.
int StopProcess(pid_t pid, int signal, std::chrono::seconds grace = std::chrono::seconds(10));

// Reaps `pid` if it has exited; true with its code then.
bool TryReap(pid_t pid, int* exit_code);

}  // namespace berth::testing
