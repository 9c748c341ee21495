#pragma once

/// Reading soar-sync's INI config, shared by Config.cpp (the file, [http], [log], instances),
/// StateConfigReader.cpp ([state], [cluster]) and RouteConfigReader.cpp (routes): one section
/// at a time, each key checked
/// (unknown keys and secrets in the file are errors naming the section and key). Internal to
/// soar_app.

#include "soar/app/Config.h"

#include <Poco/NumberParser.h>
#include <Poco/Path.h>
#include <Poco/String.h>
#include <Poco/Util/AbstractConfiguration.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace soar::app::ini {

using Poco::Util::AbstractConfiguration;

inline std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) out += ", ";
        out += item;
    }
    return out;
}

/// `path` made absolute against `base_dir` (the config file's folder); empty stays empty.
inline std::string absolute(const std::string& path, const std::string& base_dir) {
    if (path.empty()) return path;
    Poco::Path p(path);
    if (p.isAbsolute()) return p.toString();
    return Poco::Path(Poco::Path(base_dir).makeDirectory(), p).toString();
}

/// Reads one section, refusing unknown keys.
class Section {
public:
    Section(const AbstractConfiguration& ini, std::string prefix, std::string label,
            const std::vector<std::string>& valid)
        : ini_(ini), prefix_(std::move(prefix)), label_(std::move(label)) {
        std::vector<std::string> present;
        leafKeys(ini_, prefix_, "", present);
        for (const auto& key : present) {
            if (key == "token" || key == "password" || key == "secret") {
                fail(key,
                     "secrets are never read from the config file; use token_env = VARIABLE, "
                     "token_file = PATH or password_env = VARIABLE");
            }
            if (std::find(valid.begin(), valid.end(), key) != valid.end()) continue;
            std::string message = "unknown key";
            const auto guess = nearest(key, valid);
            if (!guess.empty()) message += " (did you mean '" + guess + "'?)";
            message += "; valid keys: " + joined(valid);
            fail(key, message);
        }
    }

    [[noreturn]] void fail(const std::string& key, const std::string& what) const {
        throw ConfigError(label_ + " " + key + ": " + what);
    }

    [[nodiscard]] bool has(const std::string& key) const {
        return ini_.hasProperty(prefix_ + "." + key);
    }
    [[nodiscard]] std::string str(const std::string& key, const std::string& fallback = "") const {
        return has(key) ? Poco::trim(ini_.getRawString(prefix_ + "." + key)) : fallback;
    }
    /// A key that must be present and not empty.
    [[nodiscard]] std::string required(const std::string& key, const std::string& what) const {
        const auto value = str(key);
        if (value.empty()) fail(key, "missing; expected " + what);
        return value;
    }
    [[nodiscard]] bool boolean(const std::string& key, bool fallback) const {
        if (!has(key)) return fallback;
        const auto value = Poco::toLower(str(key));
        if (value == "true" || value == "yes" || value == "on" || value == "1") return true;
        if (value == "false" || value == "no" || value == "off" || value == "0") return false;
        fail(key, "expected true or false, got '" + str(key) + "'");
    }
    [[nodiscard]] std::chrono::milliseconds duration(const std::string& key,
                                                     std::chrono::milliseconds fallback,
                                                     bool allow_zero = false) const {
        if (!has(key)) return fallback;
        const auto value = parseDuration(str(key));
        if (!value) {
            fail(key, "expected a duration like 250ms, 30s, 5m or 1h, got '" + str(key) + "'");
        }
        if (!allow_zero && value->count() == 0) fail(key, "expected a duration above zero");
        return *value;
    }
    /// A size (parseSize()) from `min` to `max` bytes.
    [[nodiscard]] std::uint64_t size(const std::string& key, std::uint64_t fallback,
                                     std::uint64_t min, std::uint64_t max) const {
        if (!has(key)) return fallback;
        const auto value = parseSize(str(key));
        if (!value || *value < min || *value > max) {
            fail(key, "expected a size from " + std::to_string(min >> 10U) + "KiB to " +
                          std::to_string(max >> 20U) + "MiB like 16MiB, got '" + str(key) + "'");
        }
        return *value;
    }
    [[nodiscard]] std::uint64_t count(const std::string& key, std::uint64_t fallback,
                                      std::uint64_t min, std::uint64_t max) const {
        if (!has(key)) return fallback;
        const auto text = str(key);
        std::uint64_t value = 0;
        if (!Poco::NumberParser::tryParseUnsigned64(text, value) || value < min || value > max) {
            fail(key, "expected a whole number from " + std::to_string(min) + " to " +
                          std::to_string(max) + ", got '" + text + "'");
        }
        return value;
    }
    [[nodiscard]] const std::string& label() const { return label_; }

private:
    /// Every key under `prefix`, relative to it, dotted (`filter.label`).
    static void leafKeys(const AbstractConfiguration& ini, const std::string& prefix,
                         const std::string& rel, std::vector<std::string>& out) {
        AbstractConfiguration::Keys keys;
        ini.keys(prefix, keys);
        for (const auto& k : keys) {
            const std::string full = prefix.empty() ? k : prefix + "." + k;
            const std::string name = rel.empty() ? k : rel + "." + k;
            if (ini.hasProperty(full)) out.push_back(name);
            leafKeys(ini, full, name, out);
        }
    }

    const AbstractConfiguration& ini_;
    std::string prefix_;
    std::string label_;
};

inline void checkName(const Section& section, const std::string& kind, const std::string& name) {
    const bool ok = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
    });
    if (!ok) {
        throw ConfigError(section.label() + ": a " + kind +
                          " name may hold only letters, digits, '-' and '_'");
    }
}

/// `[state]` into `config.state` and where its password lives.
void parseState(const AbstractConfiguration& ini, const std::string& base_dir, AppConfig& config);

/// `[cluster]` into `config.cluster`; `config.routes` are read already. `host` is this host's
/// name, the default node (nodeNameOf()).
void parseCluster(const AbstractConfiguration& ini, const std::string& host, AppConfig& config);

/// What is wrong with `names` as routes a daemon is limited to ([cluster] routes): a name
/// given twice, or one `config` lacks (with a "did you mean"); empty when nothing is.
[[nodiscard]] std::string clusterRoutesProblem(const AppConfig& config,
                                               const std::vector<std::string>& names);

/// One `[route.NAME]` section; `instances` are the instances already read.
[[nodiscard]] RouteSpec parseRoute(const AbstractConfiguration& ini, const std::string& name,
                                   const std::vector<sync::InstanceConfig>& instances);

}  // namespace soar::app::ini
