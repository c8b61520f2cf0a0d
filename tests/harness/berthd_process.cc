#include "tests/harness/berthd_process.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/rpc/channel.h"
#include "common/rpc/status.h"
#include "tests/harness/subprocess.h"

namespace berth::testing {

std::string BerthdPath() { return BERTH_TEST_BERTHD; }
std::string BerthctlPath() { return BERTH_TEST_BERTHCTL; }

TestDir::TestDir() {
  std::string tmpl = absl::StrCat("/tmp/berth-test-", ::getpid(), "-XXXXXX");
  if (::mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
}

TestDir::~TestDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

std::string UniqueName() {
  static std::atomic<int> counter{0};
  return absl::StrCat("berth-test-", ::getpid(), "-", counter++);
}

absl::StatusOr<std::unique_ptr<BerthdProcess>> BerthdProcess::Start(const TestDir& dir,
                                                                    BerthdOptions options) {
  std::unique_ptr<BerthdProcess> p(new BerthdProcess());
  std::string base = dir / options.name;
  p->root_ = base + "/root";
  p->state_ = base + "/state";
  p->socket_path_ = options.socket.empty() ? base + "/" + options.name + ".sock" : options.socket;
  p->log_path_ = base + ".log";
  // Named for the test dir, so a berthd started again over the same dir (live restore)
  // puts its containers where the first one did, and the last one removes it.
  p->cgroup_parent_ = std::filesystem::path(dir.path()).filename().string() + "-" + options.name;
  std::filesystem::create_directories(base);

  // The default network's bridge and subnet are the test's own too (same dir, same
  // ones), so parallel berthds never share a bridge or hand out the same addresses.
  const size_t hash = std::hash<std::string>()(p->cgroup_parent_);
  nlohmann::json config = {
      {"cgroup-parent", p->cgroup_parent_},
      {"bridge", absl::StrFormat("bt%010x", hash & 0xffffffffffULL)},
      {"bip", absl::StrCat("10.", 192 + (hash >> 40) % 32, ".", (hash >> 45) % 256, ".1/24")},
      // Never the host's /etc/cni/net.d: a test puts there what it runs.
      {"cni-config-dir", base + "/net.d"}};
  config.update(options.daemon_json);
  p->cni_config_dir_ = config["cni-config-dir"].get<std::string>();
  p->bridge_ = config["bridge"].get<std::string>();
  std::string config_path = base + "/daemon.json";
  std::ofstream(config_path) << config.dump(2);

  std::vector<std::string> argv = {BerthdPath(),    "--config",          config_path,  "--root",
                                   p->root_,        "--state",           p->state_,    "--socket",
                                   p->socket_path_, "--metrics-address", "127.0.0.1:0"};
  if (!options.services.empty()) {
    argv.push_back("--services");
    argv.push_back(absl::StrJoin(options.services, ","));
  }
  argv.insert(argv.end(), options.args.begin(), options.args.end());
  p->pid_ = Spawn(argv, p->log_path_, options.env);
  if (p->pid_ <= 0) return absl::InternalError("cannot spawn " + BerthdPath());
  if (!options.wait_ready) return p;

  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    int code = 0;
    if (TryReap(p->pid_, &code)) {
      p->pid_ = -1;
      return absl::InternalError(absl::StrCat("berthd exited with ", code, ":\n", p->Log()));
    }
    if (::access(p->socket_path_.c_str(), F_OK) == 0 && p->Info(/*local_only=*/true).ok()) {
      return p;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return absl::DeadlineExceededError("berthd did not become ready:\n" + p->Log());
}

namespace {

// rmdir of `dir` and everything below it, deepest first; a cgroup with processes stays.
void RemoveCgroupDir(const std::filesystem::path& dir) {
  std::error_code error;
  std::vector<std::filesystem::path> below;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, error);
       !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    if (it->is_directory(error)) below.push_back(it->path());
  }
  for (auto it = below.rbegin(); it != below.rend(); ++it) ::rmdir(it->c_str());
  ::rmdir(dir.c_str());
}

// The cgroups named `name` the containers of a berthd were put under, in every
// hierarchy (relative cgroup parents sit below this process' own cgroup).
void RemoveCgroupsNamed(const std::string& name) {
  std::error_code error;
  for (const auto& hierarchy : std::filesystem::directory_iterator("/sys/fs/cgroup", error)) {
    std::vector<std::filesystem::path> found;
    std::error_code walk;
    for (auto it = std::filesystem::recursive_directory_iterator(hierarchy.path(), walk);
         !walk && it != std::filesystem::recursive_directory_iterator(); it.increment(walk)) {
      if (!it->is_directory(walk)) continue;
      if (it->path().filename() == name) {
        found.push_back(it->path());
        it.disable_recursion_pending();
      } else if (it.depth() >= 4) {
        it.disable_recursion_pending();
      }
    }
    for (const auto& dir : found) RemoveCgroupDir(dir);
  }
}

}  // namespace

void RemoveBridgeNetworkRules(const std::string& bridge) {
  RunCommand({"/usr/sbin/ip", "link", "delete", bridge, "type", "bridge"});
  const std::string chain = "BERTH-" + bridge;
  RunCommand({"/usr/sbin/iptables", "-w", "5", "-D", "BERTH-FORWARD", "-j", chain});
  RunCommand(
      {"/usr/sbin/iptables", "-w", "5", "-D", "BERTH-ISOLATION", "-o", bridge, "-j", "DROP"});
  RunCommand({"/usr/sbin/iptables", "-w", "5", "-F", chain});
  RunCommand({"/usr/sbin/iptables", "-w", "5", "-X", chain});
  // The bridge's masquerade rule ("-A BERTH-POSTROUTING -s <subnet> ! -o <bridge> …").
  RunResult nat =
      RunCommand({"/usr/sbin/iptables", "-w", "5", "-t", "nat", "-S", "BERTH-POSTROUTING"});
  for (absl::string_view line : absl::StrSplit(nat.out, '\n', absl::SkipEmpty())) {
    if (!absl::StrContains(line, absl::StrCat(" -o ", bridge, " "))) continue;
    std::vector<std::string> args = {"/usr/sbin/iptables", "-w", "5", "-t", "nat", "-D"};
    for (absl::string_view word : absl::StrSplit(line.substr(3), ' ', absl::SkipEmpty())) {
      args.emplace_back(word);
    }
    RunCommand(args);
  }
}

namespace {

// What the network service leaves once its containers are gone: the default bridge
// (the CNI bridge plugin never removes one), its BERTH-* rules and the shared netns
// directory mount. Kept while a container still uses them (a restart will follow).
void RemoveNetworkLeftovers(const std::string& bridge, const std::string& state_dir) {
  const std::string netns_dir = state_dir + "/network/netns";
  std::error_code error;
  if (std::filesystem::exists(netns_dir, error)) {
    if (!std::filesystem::is_empty(netns_dir, error)) return;
    ::umount2(netns_dir.c_str(), MNT_DETACH);
  }
  if (bridge.empty()) return;
  if (!RunCommand({"/usr/sbin/ip", "-o", "link", "show", "master", bridge}).out.empty()) return;
  RemoveBridgeNetworkRules(bridge);
  // The chains all networks share (BERTH-FORWARD, BERTH-ISOLATION, BERTH-POSTROUTING and
  // the jumps to them) stay: another berthd on this host may be between making them and filling
  // them, and deleting them then fails its network. Empty, they change nothing.
}

}  // namespace

BerthdProcess::~BerthdProcess() {
  Stop(SIGTERM);
  // Removing containers leaves the cgroup parent they shared; it is the harness's.
  if (!cgroup_parent_.empty()) RemoveCgroupsNamed(cgroup_parent_);
  RemoveNetworkLeftovers(bridge_, state_);
}

RunResult BerthdProcess::Ctl(std::vector<std::string> args, std::chrono::seconds timeout) const {
  args.insert(args.begin(), {BerthctlPath(), "-H", address()});
  return RunCommand(args, {}, timeout);
}

nlohmann::json BerthdProcess::Inspect(const std::string& ref) const {
  RunResult inspect = Ctl({"inspect", ref});
  auto parsed = nlohmann::json::parse(inspect.out, nullptr, false);
  return inspect.exit_code == 0 && parsed.is_array() && !parsed.empty() ? parsed[0]
                                                                        : nlohmann::json();
}

RunResult BerthdProcess::LoadBusybox(const TestDir& dir) const {
  const std::string tar = dir.path() + "/busybox.tar";
  RunResult made =
      MakeBusyboxImage(tar, {"--format", "docker-archive", "--name", "busybox:latest"});
  if (made.exit_code != 0) return made;
  return Ctl({"load", "-i", tar});
}

void BerthdProcess::RemoveAllContainers() const {
  RunResult ids = Ctl({"ps", "-aq"});
  for (absl::string_view id : absl::StrSplit(ids.out, '\n', absl::SkipEmpty())) {
    Ctl({"rm", "-f", std::string(id)});
  }
}

int BerthdProcess::Stop(int signal) {
  if (pid_ <= 0) return -1;
  int code = StopProcess(pid_, signal);
  pid_ = -1;
  return code;
}

int BerthdProcess::WaitExit(int seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  int code = -1;
  while (pid_ > 0 && std::chrono::steady_clock::now() < deadline) {
    if (TryReap(pid_, &code)) {
      pid_ = -1;
      return code;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1;
}

std::string BerthdProcess::Log() const {
  std::ifstream in(log_path_);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

namespace {

template <typename Response, typename Call>
absl::StatusOr<Response> CallSystem(const std::string& address, Call call) {
  auto channel = rpc::Dial(address);
  if (!channel.ok()) return channel.status();
  auto stub = system::v1::System::NewStub(*channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  Response response;
  grpc::Status status = call(*stub, &context, &response);
  if (!status.ok()) return rpc::FromGrpcStatus(status);
  return response;
}

}  // namespace

absl::StatusOr<system::v1::InfoResponse> BerthdProcess::Info(bool local_only) const {
  return CallSystem<system::v1::InfoResponse>(
      address(), [local_only](auto& stub, auto* context, auto* response) {
        system::v1::InfoRequest request;
        request.set_local_only(local_only);
        return stub.Info(context, request, response);
      });
}

absl::StatusOr<system::v1::VersionResponse> BerthdProcess::Version() const {
  return CallSystem<system::v1::VersionResponse>(
      address(), [](auto& stub, auto* context, auto* response) {
        return stub.Version(context, system::v1::VersionRequest(), response);
      });
}

absl::StatusOr<std::string> BerthdProcess::MetricsAddress() const {
  auto info = Info(/*local_only=*/true);
  if (!info.ok()) return info.status();
  if (info->metrics_address().empty()) return absl::NotFoundError("metrics are off");
  return info->metrics_address();
}

RunResult MakeBusyboxImage(const std::string& out, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {
      "/usr/bin/python3", BERTH_TEST_SOURCE_DIR "/tests/images/make_busybox_image.py", "-o", out};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv);
}

int FreeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

absl::StatusOr<std::string> HttpGet(const std::string& url) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return absl::InternalError("curl_easy_init");
  std::string body;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
  curl_easy_setopt(
      curl, CURLOPT_WRITEFUNCTION, +[](char* data, size_t size, size_t n, void* out) {
        static_cast<std::string*>(out)->append(data, size * n);
        return size * n;
      });
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  CURLcode rc = curl_easy_perform(curl);
  long http_code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &http_code);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) return absl::UnavailableError(curl_easy_strerror(rc));
  if (http_code != 200) return absl::UnavailableError(absl::StrCat("HTTP ", http_code));
  return body;
}

double MetricValue(const std::string& exposition, const std::string& name,
                   const std::vector<std::string>& want) {
  double total = 0;
  bool found = false;
  for (absl::string_view line : absl::StrSplit(exposition, '\n', absl::SkipEmpty())) {
    if (line[0] == '#' || !absl::StartsWith(line, name)) continue;
    absl::string_view rest = line.substr(name.size());
    if (!rest.empty() && rest[0] != '{' && rest[0] != ' ') continue;  // a longer name
    size_t space = rest.rfind(' ');
    if (space == absl::string_view::npos) continue;
    absl::string_view labels = rest.substr(0, space);
    bool matches = true;
    for (const std::string& w : want) matches = matches && absl::StrContains(labels, w);
    double value = 0;
    if (matches && absl::SimpleAtod(rest.substr(space + 1), &value)) {
      total += value;
      found = true;
    }
  }
  return found ? total : -1;
}

std::vector<pid_t> BerthdProcess::ShimPids() const {
  std::vector<pid_t> pids;
  std::error_code error;
  for (auto it = std::filesystem::directory_iterator("/proc", error);
       !error && it != std::filesystem::directory_iterator(); it.increment(error)) {
    const std::string name = it->path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(it->path() / "cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::string> args = absl::StrSplit(cmdline, '\0');
    if (args.empty() || args[0].find("berth-shim") == std::string::npos) continue;
    for (size_t i = 0; i + 1 < args.size(); ++i) {
      if (args[i] == "--state-dir" && args[i + 1].rfind(state_ + "/", 0) == 0) {
        pids.push_back(static_cast<pid_t>(std::stol(name)));
      }
    }
  }
  return pids;
}

}  // namespace berth::testing
