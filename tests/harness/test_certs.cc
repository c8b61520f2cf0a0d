#include "tests/harness/test_certs.h"

#include <fstream>

#include "absl/strings/str_cat.h"
#include "tests/harness/subprocess.h"

namespace berth::testing {
namespace {

absl::Status Openssl(std::vector<std::string> args) {
  args.insert(args.begin(), "/usr/bin/openssl");
  RunResult r = RunCommand(args);
  if (r.exit_code != 0) return absl::InternalError("openssl failed: " + r.err);
  return absl::OkStatus();
}

absl::Status MakeCa(const std::string& prefix, const std::string& name) {
  return Openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                  "-nodes", "-keyout", prefix + "-key.pem", "-out", prefix + ".pem", "-days", "2",
                  "-subj", "/CN=" + name});
}

absl::Status MakeLeaf(const std::string& dir, const std::string& ca_prefix,
                      const std::string& prefix, const std::string& cn,
                      const std::string& extensions) {
  std::string ext_file = prefix + ".ext";
  std::ofstream(ext_file) << extensions << "\n";
  if (absl::Status s =
          Openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                   "-keyout", prefix + "-key.pem", "-out", prefix + ".csr", "-subj", "/CN=" + cn});
      !s.ok()) {
    return s;
  }
  return Openssl({"x509", "-req", "-in", prefix + ".csr", "-CA", ca_prefix + ".pem", "-CAkey",
                  ca_prefix + "-key.pem", "-CAcreateserial", "-CAserial", dir + "/serial", "-out",
                  prefix + "-cert.pem", "-days", "2", "-extfile", ext_file});
}

}  // namespace

absl::StatusOr<TestCertificates> MakeTestCertificates(const std::string& dir) {
  std::string ca = dir + "/ca", other_ca = dir + "/other-ca";
  if (auto s = MakeCa(ca, "berth test CA"); !s.ok()) return s;
  if (auto s = MakeCa(other_ca, "unrelated CA"); !s.ok()) return s;
  if (auto s = MakeLeaf(dir, ca, dir + "/server", "localhost",
                        "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                        "extendedKeyUsage=serverAuth,clientAuth");
      !s.ok()) {
    return s;
  }
  if (auto s = MakeLeaf(dir, ca, dir + "/client", "client", "extendedKeyUsage=clientAuth");
      !s.ok()) {
    return s;
  }
  if (auto s =
          MakeLeaf(dir, other_ca, dir + "/intruder", "intruder", "extendedKeyUsage=clientAuth");
      !s.ok()) {
    return s;
  }
  auto files = [&](const std::string& prefix) {
    return CertFiles{ca + ".pem", prefix + "-cert.pem", prefix + "-key.pem"};
  };
  return TestCertificates{files(dir + "/server"), files(dir + "/client"), files(dir + "/intruder")};
}

}  // namespace berth::testing
