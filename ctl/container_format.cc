#include "ctl/container_format.h"

#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "ctl/output_format.h"

namespace berth::ctl {
namespace {

using runtime::v1::ContainerStatus;
using Json = nlohmann::ordered_json;

const std::vector<std::pair<std::string, std::string>> kPsHeaders = {
    {"ID", "CONTAINER ID"},    {"Image", "IMAGE"},
    {"Command", "COMMAND"},    {"CreatedAt", "CREATED AT"},
    {"RunningFor", "CREATED"}, {"Ports", "PORTS"},
    {"State", "STATE"},        {"Status", "STATUS"},
    {"Size", "SIZE"},          {"Names", "NAMES"},
    {"Labels", "LABELS"},      {"Mounts", "MOUNTS"},
    {"Networks", "NETWORKS"},  {"LocalVolumes", "LOCAL VOLUMES"}};

// Replaces each {{.Label "key"}} with what `value` gives for the key.
std::string ReplaceLabelCalls(const std::string& text,
                              const std::function<std::string(const std::string&)>& value) {
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t open = text.find("{{", pos);
    size_t close = open == std::string::npos ? open : text.find("}}", open);
    if (close == std::string::npos) break;
    absl::string_view action(text.data() + open + 2, close - open - 2);
    action = absl::StripAsciiWhitespace(action);
    if (absl::ConsumePrefix(&action, ".Label ")) {
      action = absl::StripAsciiWhitespace(action);
      absl::ConsumePrefix(&action, "\"");
      absl::ConsumeSuffix(&action, "\"");
      out += text.substr(pos, open - pos) + value(std::string(action));
    } else {
      out += text.substr(pos, close + 2 - pos);
    }
    pos = close + 2;
  }
  return out + text.substr(pos);
}

std::string PortRange(uint32_t first, uint32_t last) {
  return last > first ? absl::StrCat(first, "-", last) : absl::StrCat(first);
}

std::string RestartPolicyName(runtime::v1::RestartPolicy policy) {
  switch (policy) {
    case runtime::v1::RESTART_POLICY_ALWAYS:
      return "always";
    case runtime::v1::RESTART_POLICY_ON_FAILURE:
      return "on-failure";
    case runtime::v1::RESTART_POLICY_UNLESS_STOPPED:
      return "unless-stopped";
    default:
      return "no";
  }
}

std::string HealthName(runtime::v1::HealthStatus status) {
  switch (status) {
    case runtime::v1::HEALTH_STATUS_STARTING:
      return "starting";
    case runtime::v1::HEALTH_STATUS_HEALTHY:
      return "healthy";
    case runtime::v1::HEALTH_STATUS_UNHEALTHY:
      return "unhealthy";
    default:
      return "none";
  }
}

std::string PropagationName(types::v1::MountPropagation propagation) {
  static const char* const kNames[] = {"",        "private", "rprivate", "shared",
                                       "rshared", "slave",   "rslave"};
  const int index = static_cast<int>(propagation);
  return index >= 0 && index < 7 ? kNames[index] : "";
}

// Go's nil slice: null when empty.
template <typename Repeated>
Json List(const Repeated& items) {
  if (items.empty()) return nullptr;
  Json out = Json::array();
  for (const auto& item : items) out.push_back(item);
  return out;
}

Json StringMap(const google::protobuf::Map<std::string, std::string>& map) {
  if (map.empty()) return nullptr;
  return Json(std::map<std::string, std::string>(map.begin(), map.end()));
}

Json Seconds(const google::protobuf::Duration& d) { return d.seconds() * 1000000000 + d.nanos(); }

// Docker's PortMap: {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}.
Json PortMap(const google::protobuf::RepeatedPtrField<types::v1::PortMapping>& ports) {
  if (ports.empty()) return Json::object();
  Json out = Json::object();
  for (const auto& p : ports) {
    std::string key = absl::StrCat(p.container_port(), "/", ProtocolName(p.protocol()));
    if (!out.contains(key)) out[key] = Json::array();
    if (p.host_port() == 0 && p.host_ip().empty()) continue;
    out[key].push_back(
        {{"HostIp", p.host_ip()}, {"HostPort", p.host_port() ? absl::StrCat(p.host_port()) : ""}});
  }
  return out;
}

Json StateJson(const runtime::v1::ContainerState& s) {
  const ContainerStatus status = s.status();
  Json out;
  out["Status"] = ContainerStateName(status);
  out["Running"] = status == runtime::v1::CONTAINER_STATUS_RUNNING ||
                   status == runtime::v1::CONTAINER_STATUS_PAUSED ||
                   status == runtime::v1::CONTAINER_STATUS_RESTARTING;
  out["Paused"] = status == runtime::v1::CONTAINER_STATUS_PAUSED;
  out["Restarting"] = status == runtime::v1::CONTAINER_STATUS_RESTARTING;
  out["OOMKilled"] = s.oom_killed();
  out["Dead"] = status == runtime::v1::CONTAINER_STATUS_DEAD;
  out["Pid"] = s.pid();
  out["ExitCode"] = s.exit_code();
  out["Error"] = s.error();
  out["StartedAt"] = Rfc3339(TimeOf(s.started_at()));
  out["FinishedAt"] = Rfc3339(TimeOf(s.finished_at()));
  if (s.has_health() && s.health().status() != runtime::v1::HEALTH_STATUS_UNSPECIFIED) {
    Json log = Json::array();
    for (const auto& r : s.health().log()) {
      log.push_back({{"Start", Rfc3339(TimeOf(r.start()))},
                     {"End", Rfc3339(TimeOf(r.end()))},
                     {"ExitCode", r.exit_code()},
                     {"Output", r.output()}});
    }
    out["Health"] = {{"Status", HealthName(s.health().status())},
                     {"FailingStreak", s.health().failing_streak()},
                     {"Log", log}};
  }
  return out;
}

Json HostConfigJson(const runtime::v1::ContainerSpec& spec) {
  const auto& r = spec.resources();
  const auto& sec = spec.security();
  const auto& ns = spec.namespaces();
  Json binds = Json::array();
  Json tmpfs = Json::object();
  for (const auto& m : spec.mounts()) {
    if (m.has_bind()) {
      binds.push_back(m.bind().host_path() + ":" + m.target() + (m.read_only() ? ":ro" : ""));
    } else if (m.has_volume() && !m.volume().name().empty()) {
      binds.push_back(m.volume().name() + ":" + m.target() + (m.read_only() ? ":ro" : ""));
    } else if (m.has_tmpfs()) {
      tmpfs[m.target()] = absl::StrJoin(m.tmpfs().options(), ",");
    }
  }
  Json h;
  h["Binds"] = binds.empty() ? Json(nullptr) : binds;
  h["ContainerIDFile"] = "";
  h["LogConfig"] = {
      {"Type", spec.log_config().driver()},
      {"Config", std::map<std::string, std::string>(spec.log_config().options().begin(),
                                                    spec.log_config().options().end())}};
  h["NetworkMode"] = spec.network().mode().empty() ? "bridge" : spec.network().mode();
  h["PortBindings"] = PortMap(spec.network().port_bindings());
  h["RestartPolicy"] = {{"Name", RestartPolicyName(spec.restart_policy())},
                        {"MaximumRetryCount", spec.restart_max_retries()}};
  h["AutoRemove"] = spec.auto_remove();
  h["VolumeDriver"] = "";
  h["VolumesFrom"] = nullptr;
  h["CapAdd"] = List(sec.cap_add());
  h["CapDrop"] = List(sec.cap_drop());
  h["CgroupnsMode"] = ns.cgroupns().empty() ? "private" : ns.cgroupns();
  h["Dns"] = Json::array();
  for (const auto& d : spec.network().dns()) h["Dns"].push_back(d);
  h["DnsOptions"] = Json::array();
  for (const auto& d : spec.network().dns_options()) h["DnsOptions"].push_back(d);
  h["DnsSearch"] = Json::array();
  for (const auto& d : spec.network().dns_search()) h["DnsSearch"].push_back(d);
  h["ExtraHosts"] = List(spec.network().extra_hosts());
  h["GroupAdd"] = List(sec.group_add());
  h["IpcMode"] = ns.ipc().empty() ? "private" : ns.ipc();
  h["Cgroup"] = "";
  h["Links"] = nullptr;
  h["OomScoreAdj"] = r.oom_score_adj();
  h["PidMode"] = ns.pid();
  h["Privileged"] = sec.privileged();
  h["PublishAllPorts"] = spec.network().publish_all();
  h["ReadonlyRootfs"] = sec.read_only_rootfs();
  h["SecurityOpt"] = List(sec.security_opts());
  if (!tmpfs.empty()) h["Tmpfs"] = tmpfs;
  h["UTSMode"] = ns.uts();
  h["UsernsMode"] = ns.userns();
  h["ShmSize"] = spec.shm_size_bytes() ? spec.shm_size_bytes() : int64_t{64} << 20;
  h["Runtime"] = "runc";
  h["Isolation"] = "";
  h["CpuShares"] = r.cpu_shares();
  h["Memory"] = r.memory_bytes();
  h["NanoCpus"] = r.nano_cpus();
  h["CgroupParent"] = spec.cgroup_parent();
  h["BlkioWeight"] = r.blkio_weight();
  h["CpuPeriod"] = r.cpu_period_us();
  h["CpuQuota"] = r.cpu_quota_us();
  h["CpusetCpus"] = r.cpuset_cpus();
  h["CpusetMems"] = r.cpuset_mems();
  h["MemoryReservation"] = r.memory_reservation_bytes();
  h["MemorySwap"] = r.memory_swap_bytes();
  h["MemorySwappiness"] = r.has_memory_swappiness() ? Json(r.memory_swappiness()) : Json(nullptr);
  h["OomKillDisable"] = r.oom_kill_disable();
  h["PidsLimit"] = r.pids_limit() > 0 ? Json(r.pids_limit()) : Json(nullptr);
  Json ulimits = Json::array();
  for (const auto& u : r.ulimits()) {
    ulimits.push_back({{"Name", u.name()}, {"Hard", u.hard()}, {"Soft", u.soft()}});
  }
  h["Ulimits"] = ulimits.empty() ? Json(nullptr) : ulimits;
  if (spec.has_init()) h["Init"] = spec.init();
  if (!spec.sysctls().empty()) h["Sysctls"] = StringMap(spec.sysctls());
  return h;
}

Json ConfigJson(const runtime::v1::ContainerSpec& spec) {
  Json c;
  c["Hostname"] = spec.hostname();
  c["Domainname"] = spec.domainname();
  c["User"] = spec.user();
  c["AttachStdin"] = spec.attach_stdin();
  c["AttachStdout"] = spec.attach_stdout();
  c["AttachStderr"] = spec.attach_stderr();
  Json exposed = Json::object();
  for (const auto& p : spec.network().exposed_ports()) exposed[p] = Json::object();
  if (!exposed.empty()) c["ExposedPorts"] = exposed;
  c["Tty"] = spec.tty();
  c["OpenStdin"] = spec.open_stdin();
  c["StdinOnce"] = spec.stdin_once();
  c["Env"] = List(spec.env());
  c["Cmd"] = spec.has_cmd() ? List(spec.cmd().args()) : Json(nullptr);
  if (spec.has_healthcheck()) {
    const auto& hc = spec.healthcheck();
    Json health = {{"Test", List(hc.test())}};
    if (hc.has_interval()) health["Interval"] = Seconds(hc.interval());
    if (hc.has_timeout()) health["Timeout"] = Seconds(hc.timeout());
    if (hc.has_start_period()) health["StartPeriod"] = Seconds(hc.start_period());
    if (hc.retries()) health["Retries"] = hc.retries();
    c["Healthcheck"] = health;
  }
  c["Image"] = spec.image();
  c["Volumes"] = nullptr;
  c["WorkingDir"] = spec.working_dir();
  c["Entrypoint"] = spec.has_entrypoint() ? List(spec.entrypoint().args()) : Json(nullptr);
  c["OnBuild"] = nullptr;
  c["Labels"] = spec.labels().empty() ? Json::object() : StringMap(spec.labels());
  if (!spec.stop_signal().empty()) c["StopSignal"] = spec.stop_signal();
  if (spec.has_stop_timeout()) c["StopTimeout"] = spec.stop_timeout().seconds();
  return c;
}

Json MountsJson(const google::protobuf::RepeatedPtrField<runtime::v1::MountPoint>& mounts) {
  Json out = Json::array();
  for (const auto& m : mounts) {
    Json j;
    j["Type"] = m.type();
    if (m.type() == "volume") j["Name"] = m.name();
    j["Source"] = m.source();
    j["Destination"] = m.destination();
    if (m.type() == "volume") j["Driver"] = m.driver();
    j["Mode"] = m.mode();
    j["RW"] = m.rw();
    j["Propagation"] = PropagationName(m.propagation());
    out.push_back(j);
  }
  return out;
}

Json NetworkSettingsJson(const runtime::v1::NetworkSettings& n) {
  Json networks = Json::object();
  for (const auto& [name, e] : std::map<std::string, runtime::v1::EndpointSettings>(
           n.networks().begin(), n.networks().end())) {
    networks[name] = {{"IPAMConfig", nullptr},
                      {"Links", nullptr},
                      {"Aliases", List(e.aliases())},
                      {"MacAddress", e.mac_address()},
                      {"NetworkID", e.network_id()},
                      {"EndpointID", e.endpoint_id()},
                      {"Gateway", e.gateway()},
                      {"IPAddress", e.ip_address()},
                      {"IPPrefixLen", e.ip_prefix_len()},
                      {"IPv6Gateway", e.ipv6_gateway()},
                      {"GlobalIPv6Address", e.global_ipv6_address()},
                      {"GlobalIPv6PrefixLen", e.global_ipv6_prefix_len()},
                      {"DNSNames", List(e.dns_names())}};
  }
  // The top-level address fields describe the default network only (Docker's legacy).
  runtime::v1::EndpointSettings bridge;
  if (auto it = n.networks().find("bridge"); it != n.networks().end()) bridge = it->second;
  return {{"Bridge", ""},
          {"SandboxID", ""},
          {"SandboxKey", n.sandbox_key()},
          {"Ports", PortMap(n.ports())},
          {"EndpointID", bridge.endpoint_id()},
          {"Gateway", bridge.gateway()},
          {"GlobalIPv6Address", ""},
          {"GlobalIPv6PrefixLen", 0},
          {"IPAddress", bridge.ip_address()},
          {"IPPrefixLen", bridge.ip_prefix_len()},
          {"IPv6Gateway", ""},
          {"MacAddress", bridge.mac_address()},
          {"Networks", networks}};
}

}  // namespace

std::string ProtocolName(types::v1::PortProtocol protocol) {
  switch (protocol) {
    case types::v1::PORT_PROTOCOL_UDP:
      return "udp";
    case types::v1::PORT_PROTOCOL_SCTP:
      return "sctp";
    default:
      return "tcp";
  }
}

absl::Time TimeOf(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return absl::InfinitePast();
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

std::string ContainerStateName(ContainerStatus status) {
  switch (status) {
    case runtime::v1::CONTAINER_STATUS_RUNNING:
      return "running";
    case runtime::v1::CONTAINER_STATUS_PAUSED:
      return "paused";
    case runtime::v1::CONTAINER_STATUS_RESTARTING:
      return "restarting";
    case runtime::v1::CONTAINER_STATUS_REMOVING:
      return "removing";
    case runtime::v1::CONTAINER_STATUS_EXITED:
      return "exited";
    case runtime::v1::CONTAINER_STATUS_DEAD:
      return "dead";
    default:
      return "created";
  }
}

std::string ContainerStatusText(const runtime::v1::ContainerState& state, absl::Time now) {
  const absl::Time started = TimeOf(state.started_at());
  const absl::Time finished = TimeOf(state.finished_at());
  switch (state.status()) {
    case runtime::v1::CONTAINER_STATUS_PAUSED:
      return absl::StrCat("Up ", HumanDuration(now - started), " (Paused)");
    case runtime::v1::CONTAINER_STATUS_RESTARTING:
      return absl::StrCat("Restarting (", state.exit_code(), ") ", HumanDuration(now - finished),
                          " ago");
    case runtime::v1::CONTAINER_STATUS_RUNNING: {
      std::string up = "Up " + HumanDuration(now - started);
      const auto health = state.health().status();
      if (health == runtime::v1::HEALTH_STATUS_STARTING) return up + " (health: starting)";
      if (health != runtime::v1::HEALTH_STATUS_UNSPECIFIED)
        return up + " (" + HealthName(health) + ")";
      return up;
    }
    case runtime::v1::CONTAINER_STATUS_REMOVING:
      return "Removal In Progress";
    case runtime::v1::CONTAINER_STATUS_DEAD:
      return "Dead";
    default:
      break;
  }
  if (started == absl::InfinitePast()) return "Created";
  if (finished == absl::InfinitePast()) return "";
  return absl::StrCat("Exited (", state.exit_code(), ") ", HumanDuration(now - finished), " ago");
}

std::string GoQuote(const std::string& text) {
  std::string out = "\"";
  for (char ch : text) {
    const unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char hex[8];
          std::snprintf(hex, sizeof hex, "\\x%02x", c);
          out += hex;
        } else {
          out.push_back(ch);
        }
    }
  }
  return out + "\"";
}

std::string CommandColumn(const std::string& command, bool no_trunc) {
  return GoQuote(no_trunc ? command : Ellipsis(command, 20));
}

std::string PortsColumn(const google::protobuf::RepeatedPtrField<types::v1::PortMapping>& ports) {
  std::vector<std::string> parts;
  for (const auto& p : ports) {
    const std::string container =
        PortRange(p.container_port(), p.container_port_end()) + "/" + ProtocolName(p.protocol());
    if (p.host_port() == 0) {
      parts.push_back(container);
      continue;
    }
    const std::string ip = p.host_ip().empty() ? "0.0.0.0" : p.host_ip();
    parts.push_back(
        absl::StrCat(ip, ":", PortRange(p.host_port(), p.host_port_end()), "->", container));
  }
  return absl::StrJoin(parts, ", ");
}

std::string ShortId(const std::string& id) { return id.substr(0, 12); }

nlohmann::ordered_json PsFields(const runtime::v1::ContainerSummary& c, bool no_trunc,
                                absl::Time now) {
  std::string image = c.image();
  if (!no_trunc) {
    if (image.rfind("sha256:", 0) == 0) image = image.substr(7, 12);
    if (size_t at = image.find("@sha256:"); at != std::string::npos) image = image.substr(0, at);
  }
  std::vector<std::string> labels;
  for (const auto& [k, v] :
       std::map<std::string, std::string>(c.labels().begin(), c.labels().end())) {
    labels.push_back(k + "=" + v);
  }
  std::vector<std::string> mounts, volumes;
  for (const auto& m : c.mounts()) {
    const std::string name = m.name().empty() ? m.source() : m.name();
    mounts.push_back(no_trunc ? name : Ellipsis(name, 15));
    if (m.type() == "volume") volumes.push_back(m.name());
  }
  std::string size = HumanSize(std::max<int64_t>(c.size_rw(), 0));
  if (c.size_root_fs() > 0) size += " (virtual " + HumanSize(c.size_root_fs()) + ")";
  const absl::Time created = TimeOf(c.created());
  Json row;
  row["Command"] = CommandColumn(c.command(), no_trunc);
  row["CreatedAt"] =
      created == absl::InfinitePast()
          ? std::string()
          : absl::FormatTime("%Y-%m-%d %H:%M:%S %z %Z", created, absl::LocalTimeZone());
  row["ID"] = no_trunc ? c.id() : ShortId(c.id());
  row["Image"] = image;
  row["Labels"] = absl::StrJoin(labels, ",");
  row["LocalVolumes"] = absl::StrCat(volumes.size());
  row["Mounts"] = absl::StrJoin(mounts, ",");
  row["Names"] = absl::StrJoin(c.names(), ",");
  row["Networks"] = absl::StrJoin(c.networks(), ",");
  row["Ports"] = PortsColumn(c.ports());
  row["RunningFor"] = TimeAgo(created, now);
  row["Size"] = size;
  row["State"] = ContainerStateName(c.state().status());
  row["Status"] = ContainerStatusText(c.state(), now);
  return row;
}

std::string ExpandLabelCalls(const std::string& text,
                             const google::protobuf::Map<std::string, std::string>& labels) {
  return ReplaceLabelCalls(text, [&labels](const std::string& key) {
    auto it = labels.find(key);
    return it == labels.end() ? std::string() : it->second;
  });
}

std::string RenderPs(const runtime::v1::ListContainersResponse& response, const PsOptions& options,
                     absl::Time now) {
  std::string out;
  if (options.quiet) {
    for (const auto& c : response.containers()) {
      out += (options.no_trunc ? c.id() : ShortId(c.id())) + "\n";
    }
    return out;
  }
  OutputFormat format = ParseOutputFormat(options.format);
  if (format.json) {
    for (const auto& c : response.containers()) {
      out += PsFields(c, options.no_trunc, now).dump() + "\n";
    }
    return out;
  }
  std::string text = format.template_text;
  if (text.empty()) {
    text =
        "{{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";
    if (options.size) text += "\t{{.Size}}";
  }
  std::vector<std::vector<std::string>> table;
  if (format.table) {
    const std::string header =
        ReplaceLabelCalls(text, [](const std::string&) { return std::string("LABEL"); });
    table.push_back(absl::StrSplit(TemplateHeader(header, kPsHeaders), '\t'));
  }
  for (const auto& c : response.containers()) {
    const std::string line =
        ExpandTemplate(ExpandLabelCalls(text, c.labels()), PsFields(c, options.no_trunc, now));
    if (!format.table) {
      out += line + "\n";
      continue;
    }
    table.push_back(absl::StrSplit(line, '\t'));
  }
  return format.table ? RenderTable(table) : out;
}

nlohmann::ordered_json ContainerInspectJson(const runtime::v1::ContainerInspect& c, bool size) {
  Json out;
  out["Id"] = c.id();
  out["Created"] = Rfc3339(TimeOf(c.created()));
  out["Path"] = c.path();
  out["Args"] = Json::array();
  for (const auto& arg : c.args()) out["Args"].push_back(arg);
  out["State"] = StateJson(c.state());
  out["Image"] = c.image_id();
  out["ResolvConfPath"] = c.resolv_conf_path();
  out["HostnamePath"] = c.hostname_path();
  out["HostsPath"] = c.hosts_path();
  out["LogPath"] = c.log_path();
  out["Name"] = "/" + c.name();
  out["RestartCount"] = c.state().restart_count();
  out["Driver"] = c.driver();
  out["Platform"] = c.platform().os().empty() ? "linux" : c.platform().os();
  out["MountLabel"] = "";
  out["ProcessLabel"] = "";
  out["AppArmorProfile"] = c.spec().security().apparmor_profile();
  out["ExecIDs"] = List(c.exec_ids());
  out["HostConfig"] = HostConfigJson(c.spec());
  out["GraphDriver"] = {{"Data", nullptr}, {"Name", c.driver()}};
  if (size) {
    out["SizeRw"] = c.size_rw();
    out["SizeRootFs"] = c.size_root_fs();
  }
  out["Mounts"] = MountsJson(c.mounts());
  out["Config"] = ConfigJson(c.spec());
  out["NetworkSettings"] = NetworkSettingsJson(c.network_settings());
  return out;
}

}  // namespace berth::ctl
