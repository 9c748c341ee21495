#include "support/TestCertificate.h"

#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>

namespace soar::test {
namespace {

void run(const std::string& command) {
    const int rc = std::system((command + " >/dev/null 2>&1").c_str());
    if (rc != 0) {
        throw std::runtime_error("test certificate: command failed (" + std::to_string(rc) +
                                 "): " + command);
    }
}

std::string quoted(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

}  // namespace

TestCertificate::TestCertificate(const std::string& subject_alt_names) {
    const auto& d = dir_.path();
    {
        std::ofstream ext(d / "san.ext");
        ext << "subjectAltName=" << subject_alt_names
            << "\n"
               "basicConstraints=CA:FALSE\n"
               "keyUsage=digitalSignature,keyEncipherment\n"
               "extendedKeyUsage=serverAuth\n";
    }
    run("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=soar-sync test CA'"
        " -keyout " +
        quoted(d / "ca.key") + " -out " + quoted(caFile()));
    run("openssl req -newkey rsa:2048 -nodes -subj '/CN=soar-sync test server' -keyout " +
        quoted(keyFile()) + " -out " + quoted(d / "server.csr"));
    run("openssl x509 -req -days 2 -in " + quoted(d / "server.csr") + " -CA " + quoted(caFile()) +
        " -CAkey " + quoted(d / "ca.key") + " -CAcreateserial -extfile " + quoted(d / "san.ext") +
        " -out " + quoted(certFile()));
}

}  // namespace soar::test
