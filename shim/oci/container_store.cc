#include "shim/oci/container_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/file_text.h"
#include "nlohmann/json.hpp"
#include "shim/oci/cgroups/cgroup.h"
#include "shim/oci/spec.h"

namespace berth::oci {
namespace {

absl::Status Errno(const std::string& what) { return absl::ErrnoToStatus(errno, what); }

}  // namespace

std::map<std::string, std::string> CgroupParents(const CgroupLayout& layout) {
  std::map<std::string, std::string> parents;
  for (const CgroupHierarchy& h : layout.v1_hierarchies) parents[h.mountpoint] = h.own_path;
  if (!layout.unified_mountpoint.empty()) parents[""] = layout.unified_own_path;
  return parents;
}

absl::StatusOr<std::unique_ptr<Cgroup>> OpenContainerCgroup(const ContainerRecord& record) {
  auto layout = DetectCgroupLayout();
  if (!layout.ok()) return layout.status();
  for (CgroupHierarchy& h : layout->v1_hierarchies) {
    auto it = record.cgroup_parents.find(h.mountpoint);
    if (it != record.cgroup_parents.end()) h.own_path = it->second;
  }
  if (auto it = record.cgroup_parents.find(""); it != record.cgroup_parents.end()) {
    layout->unified_own_path = it->second;
  }
  const CgroupHierarchy* primary = layout->FindHierarchy("memory");
  if (layout->version == CgroupLayout::Version::kV2 || primary == nullptr) {
    layout->own_path = layout->unified_own_path;
  } else {
    layout->own_path = primary->own_path;
  }
  return OpenCgroup(record.cgroups_path, *layout);
}

absl::Status ValidateContainerId(const std::string& id) {
  bool ok = !id.empty() && id != "." && id != ".." && id.size() <= 1024;
  for (char c : id) {
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '+' || c == '-' ||
                c == '.');
  }
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("invalid container id format: ", id));
}

absl::StatusOr<uint64_t> ProcessStartTime(pid_t pid) {
  auto stat = ReadFileText(absl::StrCat("/proc/", pid, "/stat"));
  if (!stat.ok()) return absl::NotFoundError(absl::StrCat("process ", pid, " is gone"));
  size_t close = stat->rfind(')');
  if (close == std::string::npos) return absl::InternalError("malformed /proc stat");
  std::vector<absl::string_view> fields =
      absl::StrSplit(absl::string_view(*stat).substr(close + 2), ' ');
  uint64_t start = 0;
  if (fields.size() < 20 || !absl::SimpleAtoi(fields[19], &start)) {
    return absl::InternalError("malformed /proc stat");
  }
  return start;
}

absl::Status ContainerStore::Reserve(const std::string& id) {
  if (auto s = ValidateContainerId(id); !s.ok()) return s;
  std::error_code ec;
  std::filesystem::create_directories(root_, ec);
  if (ec) return absl::InternalError(absl::StrCat("create ", root_, ": ", ec.message()));
  ::chmod(root_.c_str(), 0700);
  if (::mkdir(Dir(id).c_str(), 0700) != 0) {
    if (errno == EEXIST)
      return absl::AlreadyExistsError(absl::StrCat("container with id exists: ", id));
    return Errno("mkdir " + Dir(id));
  }
  // Writable by all (the init opens it after taking the process' uid, as runc's 0622),
  // readable only by root, who starts it.
  if (::mkfifo(FifoPath(id).c_str(), 0622) != 0 || ::chmod(FifoPath(id).c_str(), 0622) != 0) {
    return Errno("mkfifo " + FifoPath(id));
  }
  return absl::OkStatus();
}

absl::Status ContainerStore::Save(const ContainerRecord& r) {
  nlohmann::json json = {{"id", r.id},
                         {"pid", r.pid},
                         {"start_time", r.start_time},
                         {"bundle", r.bundle},
                         {"rootfs", r.rootfs},
                         {"cgroups_path", r.cgroups_path},
                         {"cgroup_parents", r.cgroup_parents},
                         {"created_ns", absl::ToUnixNanos(r.created)},
                         {"owner", r.owner},
                         {"annotations", r.annotations}};
  std::string path = Dir(r.id) + "/state.json";
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << json.dump(2);
    if (!out.flush()) return absl::InternalError("writing " + tmp);
  }
  ::chmod(tmp.c_str(), 0600);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Errno("rename to " + path);
  return absl::OkStatus();
}

absl::StatusOr<ContainerRecord> ContainerStore::Load(const std::string& id) const {
  if (auto s = ValidateContainerId(id); !s.ok()) return s;
  auto text = ReadFileText(Dir(id) + "/state.json");
  if (!text.ok()) return absl::NotFoundError(absl::StrCat("container does not exist: ", id));
  try {
    nlohmann::json json = nlohmann::json::parse(*text);
    ContainerRecord r;
    r.id = json.at("id").get<std::string>();
    r.pid = json.at("pid").get<pid_t>();
    r.start_time = json.at("start_time").get<uint64_t>();
    r.bundle = json.at("bundle").get<std::string>();
    r.rootfs = json.at("rootfs").get<std::string>();
    r.cgroups_path = json.at("cgroups_path").get<std::string>();
    r.cgroup_parents = json.at("cgroup_parents").get<std::map<std::string, std::string>>();
    r.created = absl::FromUnixNanos(json.at("created_ns").get<int64_t>());
    r.owner = json.at("owner").get<std::string>();
    r.annotations = json.at("annotations").get<std::map<std::string, std::string>>();
    return r;
  } catch (const nlohmann::json::exception& e) {
    return absl::DataLossError(absl::StrCat(Dir(id), "/state.json: ", e.what()));
  }
}

absl::Status ContainerStore::Remove(const std::string& id) {
  std::error_code ec;
  std::filesystem::remove_all(Dir(id), ec);
  if (ec) return absl::InternalError(absl::StrCat("remove ", Dir(id), ": ", ec.message()));
  return absl::OkStatus();
}

std::vector<std::string> ContainerStore::List() const {
  std::vector<std::string> ids;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(root_, ec)) {
    if (entry.is_directory(ec)) ids.push_back(entry.path().filename().string());
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

ContainerStatus ContainerStore::StatusOf(const ContainerRecord& r) const {
  auto start = ProcessStartTime(r.pid);
  if (!start.ok() || *start != r.start_time) return ContainerStatus::kStopped;
  std::string state = ReadFileText(absl::StrCat("/proc/", r.pid, "/stat")).value_or("");
  size_t close = state.rfind(')');
  if (close != std::string::npos && close + 2 < state.size() && state[close + 2] == 'Z') {
    return ContainerStatus::kStopped;
  }
  if (::access(FifoPath(r.id).c_str(), F_OK) == 0) return ContainerStatus::kCreated;
  if (auto cgroup = OpenContainerCgroup(r); cgroup.ok()) {
    auto frozen = (*cgroup)->State();
    if (frozen.ok() && *frozen == FreezerState::kFrozen) return ContainerStatus::kPaused;
  }
  return ContainerStatus::kRunning;
}

State ContainerStore::StateOf(const ContainerRecord& r) const {
  State state;
  state.oci_version = std::string(kOciVersion);
  state.id = r.id;
  state.status = StatusOf(r);
  state.pid = state.status == ContainerStatus::kStopped ? 0 : r.pid;
  state.bundle = r.bundle;
  state.rootfs = r.rootfs;
  state.created = r.created;
  state.owner = r.owner;
  state.annotations = r.annotations;
  return state;
}

}  // namespace berth::oci
