#include "soar/client/Secret.h"

#include "soar/client/Errors.h"

#include <Poco/Logger.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>
#include <sys/stat.h>

namespace soar::sync {
namespace {

std::string trimmed(const std::string& text) {
    const auto* const kSpace = " \t\r\n";
    const auto first = text.find_first_not_of(kSpace);
    if (first == std::string::npos) return {};
    const auto last = text.find_last_not_of(kSpace);
    return text.substr(first, last - first + 1);
}

[[noreturn]] void fail(const InstanceConfig& config, const std::string& key,
                       const std::string& what) {
    throw ConfigError(config.section() + " " + key + ": " + what);
}

Secret fromEnv(const InstanceConfig& config, const std::string& key, const std::string& var) {
    const char* value = std::getenv(var.c_str());
    if (value == nullptr) fail(config, key, "environment variable " + var + " is not set");
    std::string text = trimmed(value);
    if (text.empty()) fail(config, key, "environment variable " + var + " is empty");
    return Secret(std::move(text));
}

Secret fromFile(const InstanceConfig& config, const std::string& path, const std::string& key) {
    std::error_code ignored;
    if (std::filesystem::is_directory(path, ignored)) {
        fail(config, key, "cannot read " + path + ": it is a directory");
    }
    struct stat info {};
    if (::stat(path.c_str(), &info) == 0 && (info.st_mode & 077) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777));
        Poco::Logger::get("sync.client")
            .warning(config.section() + " " + key + ": " + path + " is readable by " +
                     ((info.st_mode & 007) != 0 ? "others" : "its group") + " (mode " + mode +
                     "); chmod 600 " + path);
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        const int error = errno;
        fail(config, key,
             "cannot read " + path + ": " + (error != 0 ? std::strerror(error) : "open failed"));
    }
    std::ostringstream content;
    content << in.rdbuf();
    if (in.bad()) fail(config, key, "cannot read " + path);
    std::string text = trimmed(content.str());
    if (text.empty()) fail(config, key, path + " is empty");
    if (text.find('\n') != std::string::npos) {
        fail(config, key, path + " holds more than one line; expected the token only");
    }
    return Secret(std::move(text));
}

Credentials readCredentials(const InstanceConfig& config) {
    Credentials credentials;
    if (!config.password_env.empty()) {
        if (config.auth != AuthScheme::Basic) {
            fail(config, "password_env",
                 std::string("a password needs auth = basic (auth is ") + toString(config.auth) +
                     ")");
        }
        if (config.user.empty()) fail(config, "user", "password_env needs a user name");
        credentials.user = config.user;
        credentials.secret = fromEnv(config, "password_env", config.password_env);
        credentials.source_key = "password_env";
        return credentials;
    }
    if (!config.user.empty() && config.auth != AuthScheme::Basic) {
        fail(config, "user",
             std::string("a user name needs auth = basic (auth is ") + toString(config.auth) + ")");
    }
    // A token with basic auth: SOAR takes it as the password (of `user`, or of an empty user).
    credentials.user = config.user;
    if (!config.token_env.empty()) {
        credentials.secret = fromEnv(config, "token_env", config.token_env);
        credentials.source_key = "token_env";
    } else if (!config.token_credential.empty()) {
        const auto path = tokenFilePath(config);
        if (path.empty()) {
            fail(config, "token_credential",
                 "CREDENTIALS_DIRECTORY is not set; run soar-sync under systemd with "
                 "LoadCredential=" +
                     config.token_credential + ":PATH, or use token_file");
        }
        credentials.secret = fromFile(config, path, "token_credential");
        credentials.source_key = "token_credential";
    } else {
        credentials.secret = fromFile(config, config.token_file, "token_file");
        credentials.source_key = "token_file";
    }
    return credentials;
}

}  // namespace

std::ostream& operator<<(std::ostream& out, const Secret& secret) {
    return out << secret.toString();
}

std::string tokenFilePath(const InstanceConfig& config) {
    if (!config.token_file.empty()) return config.token_file;
    if (config.token_credential.empty()) return {};
    const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
    if (dir == nullptr || *dir == '\0') return {};
    return std::string(dir) + "/" + config.token_credential;
}

Credentials loadCredentials(const InstanceConfig& config) {
    const int sources = (config.token_env.empty() ? 0 : 1) + (config.token_file.empty() ? 0 : 1) +
                        (config.token_credential.empty() ? 0 : 1) +
                        (config.password_env.empty() ? 0 : 1);
    if (sources == 0) {
        fail(config, "token_env",
             "no secret configured; set one of token_env, token_file, token_credential, or "
             "user + password_env");
    }
    if (sources > 1) {
        fail(config, !config.token_env.empty() ? "token_env" : "token_file",
             "set only one of token_env, token_file, token_credential and password_env");
    }
    Credentials credentials = readCredentials(config);
    if (credentials.secret.reveal().size() < kMinSecretLength) {
        fail(config, credentials.source_key,
             "the secret has " + std::to_string(credentials.secret.reveal().size()) +
                 " characters; at least " + std::to_string(kMinSecretLength) +
                 " are needed (a shorter one could not be masked in logs)");
    }
    return credentials;
}

}  // namespace soar::sync
