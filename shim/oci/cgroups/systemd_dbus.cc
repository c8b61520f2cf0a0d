#include "shim/oci/cgroups/systemd_dbus.h"

#include <dbus/dbus.h>
#include <unistd.h>

#include <memory>
#include <type_traits>
#include <variant>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"

namespace berth::oci {
namespace {

constexpr char kService[] = "org.freedesktop.systemd1";
constexpr char kManagerPath[] = "/org/freedesktop/systemd1";
constexpr char kManager[] = "org.freedesktop.systemd1.Manager";
constexpr char kPrivateSocket[] = "/run/systemd/private";

// A D-Bus error, freed when it goes.
struct DBusErrorHolder {
  DBusError error;
  DBusErrorHolder() { dbus_error_init(&error); }
  ~DBusErrorHolder() { dbus_error_free(&error); }
  bool is_set() const { return dbus_error_is_set(&error); }
  bool Named(const char* name) const { return dbus_error_has_name(&error, name); }
};

struct MessageUnref {
  void operator()(DBusMessage* m) const { dbus_message_unref(m); }
};
using Message = std::unique_ptr<DBusMessage, MessageUnref>;

absl::Status OutOfMemory() { return absl::ResourceExhaustedError("D-Bus: out of memory"); }

bool AppendVariant(DBusMessageIter* entry, const UnitProperty::Value& value) {
  DBusMessageIter variant, array;
  return std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) {
          dbus_bool_t b = v;
          return dbus_message_iter_open_container(entry, DBUS_TYPE_VARIANT, "b", &variant) &&
                 dbus_message_iter_append_basic(&variant, DBUS_TYPE_BOOLEAN, &b) &&
                 dbus_message_iter_close_container(entry, &variant);
        } else if constexpr (std::is_same_v<T, uint64_t>) {
          dbus_uint64_t t = v;
          return dbus_message_iter_open_container(entry, DBUS_TYPE_VARIANT, "t", &variant) &&
                 dbus_message_iter_append_basic(&variant, DBUS_TYPE_UINT64, &t) &&
                 dbus_message_iter_close_container(entry, &variant);
        } else if constexpr (std::is_same_v<T, std::string>) {
          const char* s = v.c_str();
          return dbus_message_iter_open_container(entry, DBUS_TYPE_VARIANT, "s", &variant) &&
                 dbus_message_iter_append_basic(&variant, DBUS_TYPE_STRING, &s) &&
                 dbus_message_iter_close_container(entry, &variant);
        } else {
          constexpr bool kWords = std::is_same_v<T, std::vector<uint32_t>>;
          const char* signature = kWords ? "au" : "ay";
          const char element[] = {kWords ? 'u' : 'y', '\0'};
          const auto* data = v.data();
          return dbus_message_iter_open_container(entry, DBUS_TYPE_VARIANT, signature, &variant) &&
                 dbus_message_iter_open_container(&variant, DBUS_TYPE_ARRAY, element, &array) &&
                 dbus_message_iter_append_fixed_array(&array,
                                                      kWords ? DBUS_TYPE_UINT32 : DBUS_TYPE_BYTE,
                                                      &data, static_cast<int>(v.size())) &&
                 dbus_message_iter_close_container(&variant, &array) &&
                 dbus_message_iter_close_container(entry, &variant);
        }
      },
      value);
}

// Appends a(sv).
bool AppendProperties(DBusMessageIter* args, const std::vector<UnitProperty>& properties) {
  DBusMessageIter array;
  if (!dbus_message_iter_open_container(args, DBUS_TYPE_ARRAY, "(sv)", &array)) return false;
  for (const UnitProperty& p : properties) {
    DBusMessageIter entry;
    const char* name = p.name.c_str();
    if (!dbus_message_iter_open_container(&array, DBUS_TYPE_STRUCT, nullptr, &entry) ||
        !dbus_message_iter_append_basic(&entry, DBUS_TYPE_STRING, &name) ||
        !AppendVariant(&entry, p.value) || !dbus_message_iter_close_container(&array, &entry)) {
      return false;
    }
  }
  return dbus_message_iter_close_container(args, &array);
}

class DBusSystemdUnits final : public SystemdUnits {
 public:
  DBusSystemdUnits(DBusConnection* connection, absl::Duration timeout)
      : connection_(connection), timeout_(timeout) {}
  ~DBusSystemdUnits() override {
    dbus_connection_close(connection_);
    dbus_connection_unref(connection_);
  }

  // Asks for JobRemoved signals: on the private socket systemd sends them to subscribers.
  absl::Status Subscribe(bool bus) {
    if (bus) {
      DBusErrorHolder error;
      dbus_bus_add_match(connection_,
                         "type='signal',sender='org.freedesktop.systemd1',"
                         "interface='org.freedesktop.systemd1.Manager',member='JobRemoved'",
                         &error.error);
      if (error.is_set()) return CallError("AddMatch", error);
    }
    Message call(dbus_message_new_method_call(kService, kManagerPath, kManager, "Subscribe"));
    if (!call) return OutOfMemory();
    return FirstCall("Subscribe", call.get());
  }

  absl::Status StartTransientUnit(const std::string& unit,
                                  const std::vector<UnitProperty>& properties) override {
    Message call(
        dbus_message_new_method_call(kService, kManagerPath, kManager, "StartTransientUnit"));
    if (!call) return OutOfMemory();
    DBusMessageIter args, aux;
    dbus_message_iter_init_append(call.get(), &args);
    const char* name = unit.c_str();
    const char* mode = "fail";
    if (!dbus_message_iter_append_basic(&args, DBUS_TYPE_STRING, &name) ||
        !dbus_message_iter_append_basic(&args, DBUS_TYPE_STRING, &mode) ||
        !AppendProperties(&args, properties) ||
        !dbus_message_iter_open_container(&args, DBUS_TYPE_ARRAY, "(sa(sv))", &aux) ||
        !dbus_message_iter_close_container(&args, &aux)) {
      return OutOfMemory();
    }
    auto job = CallForJob("StartTransientUnit " + unit, call.get());
    if (!job.ok()) return job.status();
    return AwaitJob(*job, unit, "start");
  }

  absl::Status SetUnitProperties(const std::string& unit,
                                 const std::vector<UnitProperty>& properties) override {
    Message call(
        dbus_message_new_method_call(kService, kManagerPath, kManager, "SetUnitProperties"));
    if (!call) return OutOfMemory();
    DBusMessageIter args;
    dbus_message_iter_init_append(call.get(), &args);
    const char* name = unit.c_str();
    dbus_bool_t runtime = TRUE;
    if (!dbus_message_iter_append_basic(&args, DBUS_TYPE_STRING, &name) ||
        !dbus_message_iter_append_basic(&args, DBUS_TYPE_BOOLEAN, &runtime) ||
        !AppendProperties(&args, properties)) {
      return OutOfMemory();
    }
    return Call("SetUnitProperties " + unit, call.get()).status();
  }

  absl::Status StopUnit(const std::string& unit) override {
    Message call(dbus_message_new_method_call(kService, kManagerPath, kManager, "StopUnit"));
    const char* name = unit.c_str();
    const char* mode = "replace";
    if (!call || !dbus_message_append_args(call.get(), DBUS_TYPE_STRING, &name, DBUS_TYPE_STRING,
                                           &mode, DBUS_TYPE_INVALID)) {
      return OutOfMemory();
    }
    auto job = CallForJob("StopUnit " + unit, call.get());
    if (absl::IsNotFound(job.status())) return absl::OkStatus();  // not loaded: stopped
    if (!job.ok()) return job.status();
    absl::Status stopped = AwaitJob(*job, unit, "stop");
    ResetFailedUnit(unit);
    return stopped;
  }

 private:
  absl::Status CallError(absl::string_view what, const DBusErrorHolder& error) {
    std::string text =
        absl::StrCat("systemd ", what, ": ", error.error.name ? error.error.name : "error", ": ",
                     error.error.message ? error.error.message : "");
    if (error.Named("org.freedesktop.systemd1.UnitExists")) {
      return absl::AlreadyExistsError(text);
    }
    if (error.Named("org.freedesktop.systemd1.NoSuchUnit")) return absl::NotFoundError(text);
    if (error.Named(DBUS_ERROR_NO_REPLY) || error.Named(DBUS_ERROR_TIMEOUT)) {
      return absl::DeadlineExceededError(text);
    }
    return absl::UnavailableError(text);
  }

  // The connection's first call. An sd-bus server (systemd's private socket) leaves a
  // message that arrived in the same read as the client's BEGIN unprocessed until more
  // input comes, and libdbus sends BEGIN and the first message together: the call is
  // nudged with no-reply pings until its reply comes.
  absl::Status FirstCall(absl::string_view what, DBusMessage* call) {
    DBusPendingCall* pending = nullptr;
    int timeout_ms = static_cast<int>(absl::ToInt64Milliseconds(timeout_));
    if (!dbus_connection_send_with_reply(connection_, call, &pending, timeout_ms) || !pending) {
      return OutOfMemory();
    }
    absl::Cleanup unref = [pending] { dbus_pending_call_unref(pending); };
    absl::Time deadline = absl::Now() + timeout_;
    while (!dbus_pending_call_get_completed(pending)) {
      if (absl::Now() >= deadline) {
        dbus_pending_call_cancel(pending);
        return absl::DeadlineExceededError(absl::StrCat("systemd did not answer ", what, " within ",
                                                        absl::FormatDuration(timeout_)));
      }
      if (!dbus_connection_read_write_dispatch(connection_, 20)) {
        return absl::UnavailableError(absl::StrCat("systemd closed the connection at ", what));
      }
      if (!dbus_pending_call_get_completed(pending)) Ping();
    }
    Message reply(dbus_pending_call_steal_reply(pending));
    if (!reply) return absl::UnavailableError(absl::StrCat("systemd gave no reply to ", what));
    DBusErrorHolder error;
    if (dbus_set_error_from_message(&error.error, reply.get())) return CallError(what, error);
    return absl::OkStatus();
  }

  void Ping() {
    Message ping(
        dbus_message_new_method_call(kService, kManagerPath, "org.freedesktop.DBus.Peer", "Ping"));
    if (!ping) return;
    dbus_message_set_no_reply(ping.get(), TRUE);
    dbus_connection_send(connection_, ping.get(), nullptr);
    dbus_connection_flush(connection_);
  }

  absl::StatusOr<Message> Call(absl::string_view what, DBusMessage* call) {
    DBusErrorHolder error;
    Message reply(dbus_connection_send_with_reply_and_block(
        connection_, call, static_cast<int>(absl::ToInt64Milliseconds(timeout_)), &error.error));
    if (!reply) return CallError(what, error);
    return reply;
  }

  // A call whose reply is the object path of the job it queued.
  absl::StatusOr<std::string> CallForJob(absl::string_view what, DBusMessage* call) {
    absl::StatusOr<Message> reply = Call(what, call);
    if (!reply.ok()) return reply.status();
    DBusErrorHolder error;
    const char* job = nullptr;
    if (!dbus_message_get_args(reply->get(), &error.error, DBUS_TYPE_OBJECT_PATH, &job,
                               DBUS_TYPE_INVALID)) {
      return CallError(what, error);
    }
    return std::string(job);
  }

  // Waits for JobRemoved of `job`. Signals that came while the call waited for its reply
  // are queued on the connection, so one that came first is not missed.
  absl::Status AwaitJob(const std::string& job, const std::string& unit, absl::string_view verb) {
    absl::Time deadline = absl::Now() + timeout_;
    for (;;) {
      while (Message message{dbus_connection_pop_message(connection_)}) {
        if (!dbus_message_is_signal(message.get(), kManager, "JobRemoved")) continue;
        DBusErrorHolder error;
        dbus_uint32_t id = 0;
        const char *path = nullptr, *name = nullptr, *result = nullptr;
        if (!dbus_message_get_args(message.get(), &error.error, DBUS_TYPE_UINT32, &id,
                                   DBUS_TYPE_OBJECT_PATH, &path, DBUS_TYPE_STRING, &name,
                                   DBUS_TYPE_STRING, &result, DBUS_TYPE_INVALID) ||
            job != path) {
          continue;
        }
        if (std::string(result) == "done") return absl::OkStatus();
        return absl::AbortedError(absl::StrCat("systemd could not ", verb, " unit ", unit,
                                               ": its job ended with \"", result, "\""));
      }
      absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) {
        return absl::DeadlineExceededError(absl::StrCat(
            "systemd did not ", verb, " unit ", unit, " within ", absl::FormatDuration(timeout_)));
      }
      if (!dbus_connection_read_write(connection_,
                                      static_cast<int>(absl::ToInt64Milliseconds(left)) + 1)) {
        return absl::UnavailableError(
            absl::StrCat("systemd closed the connection while the ", verb, " of ", unit, " ran"));
      }
    }
  }

  void ResetFailedUnit(const std::string& unit) {
    Message call(dbus_message_new_method_call(kService, kManagerPath, kManager, "ResetFailedUnit"));
    const char* name = unit.c_str();
    if (!call ||
        !dbus_message_append_args(call.get(), DBUS_TYPE_STRING, &name, DBUS_TYPE_INVALID)) {
      return;
    }
    (void)Call("ResetFailedUnit", call.get());  // NoSuchUnit when it did not fail: fine
  }

  DBusConnection* connection_;
  absl::Duration timeout_;
};

}  // namespace

bool SystemdIsRunning(const std::string& marker) { return ::access(marker.c_str(), F_OK) == 0; }

absl::StatusOr<std::unique_ptr<SystemdUnits>> ConnectToSystemd(absl::Duration timeout) {
  DBusErrorHolder error;
  bool bus = false;
  DBusConnection* connection = nullptr;
  if (::geteuid() == 0 && ::access(kPrivateSocket, F_OK) == 0) {
    connection = dbus_connection_open_private(absl::StrCat("unix:path=", kPrivateSocket).c_str(),
                                              &error.error);
  }
  if (connection == nullptr) {
    dbus_error_free(&error.error);
    dbus_error_init(&error.error);
    connection = dbus_bus_get_private(DBUS_BUS_SYSTEM, &error.error);
    bus = true;
  }
  if (connection == nullptr) {
    return absl::UnavailableError(absl::StrCat(
        "cannot reach systemd (", kPrivateSocket,
        " or the system bus): ", error.is_set() ? error.error.message : "no connection"));
  }
  dbus_connection_set_exit_on_disconnect(connection, FALSE);
  auto units = std::make_unique<DBusSystemdUnits>(connection, timeout);
  if (absl::Status s = units->Subscribe(bus); !s.ok()) return s;
  return units;
}

}  // namespace berth::oci
