#pragma once

/// A throw-away certificate authority and a server certificate for 127.0.0.1 and
/// localhost, made at test time with the `openssl` command line tool (no keys are
/// committed). Files live in a private temp folder removed on destruction.

#include "support/TempDir.h"

#include <filesystem>
#include <string>

namespace soar::test {

class TestCertificate {
public:
    /// Creates a fresh CA and a server certificate signed by it for the names of
    /// `subject_alt_names` (OpenSSL's subjectAltName syntax); throws on failure.
    explicit TestCertificate(
        const std::string& subject_alt_names = "IP:127.0.0.1,IP:::1,DNS:localhost");

    /// PEM of the CA certificate: what a client trusts (`ca_file`).
    [[nodiscard]] std::filesystem::path caFile() const { return dir_.path() / "ca.pem"; }
    /// PEM server certificate and its key.
    [[nodiscard]] std::filesystem::path certFile() const { return dir_.path() / "server.pem"; }
    [[nodiscard]] std::filesystem::path keyFile() const { return dir_.path() / "server.key"; }

private:
    TempDir dir_;
};

}  // namespace soar::test
