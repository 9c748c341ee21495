#include "soar/app/Config.h"

#include "ConfigSection.h"

#include <Poco/Environment.h>
#include <Poco/Exception.h>
#include <Poco/FileChannel.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/NumberParser.h>
#include <Poco/Path.h>
#include <Poco/String.h>
#include <Poco/Util/IniFileConfiguration.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace soar::app {

namespace {

using ini::absolute;
using ini::AbstractConfiguration;
using ini::checkName;
using ini::joined;
using ini::Section;

const std::vector<std::string> kHttpKeys = {"listen", "token_file", "allowed_hosts"};
const std::vector<std::string> kLogKeys = {"level", "format", "file", "rotate", "keep", "compress"};
const std::vector<std::string> kInstanceKeys = {"url",
                                                "token_env",
                                                "token_file",
                                                "user",
                                                "password_env",
                                                "token_credential",
                                                "auth",
                                                "ca_file",
                                                "verify_tls",
                                                "timeout",
                                                "connect_timeout",
                                                "connections",
                                                "rate_limit",
                                                "allow_insecure_http",
                                                "retries",
                                                "min_tls",
                                                "max_record_size"};
const std::vector<std::string> kLevels = {"none",   "fatal",       "critical", "error", "warning",
                                          "notice", "information", "debug",    "trace"};

bool isLoopback(const std::string& host) {
    if (host == "localhost") return true;
    Poco::Net::IPAddress address;
    if (!Poco::Net::IPAddress::tryParse(host, address)) return false;
    return address.isLoopback();
}

sync::InstanceConfig parseInstance(const AbstractConfiguration& ini, const std::string& name,
                                   const std::string& base_dir) {
    const Section s(ini, "instance." + name, "[instance." + name + "]", kInstanceKeys);
    checkName(s, "instance", name);
    sync::InstanceConfig c;
    c.name = name;
    c.url = s.required("url", "the instance's base URL, e.g. https://soar.example.com");
    const auto lower = Poco::toLower(c.url);
    c.allow_insecure_http = s.boolean("allow_insecure_http", false);
    if (lower.rfind("https://", 0) != 0) {
        if (lower.rfind("http://", 0) != 0) {
            s.fail("url", "expected an https:// URL, got '" + c.url + "'");
        }
        if (!c.allow_insecure_http) {
            s.fail("url",
                   "http:// sends the token in clear text; use https:// or set "
                   "allow_insecure_http = true on this instance");
        }
    }
    if (c.url.size() <= lower.find("://") + 3) s.fail("url", "expected a host after the scheme");
    c.token_env = s.str("token_env");
    c.token_file = absolute(s.str("token_file"), base_dir);
    c.token_credential = s.str("token_credential");
    if (c.token_credential.find('/') != std::string::npos) {
        s.fail("token_credential",
               "expected the name of a systemd credential, got '" + c.token_credential + "'");
    }
    c.user = s.str("user");
    c.password_env = s.str("password_env");
    const int sources = (c.token_env.empty() ? 0 : 1) + (c.token_file.empty() ? 0 : 1) +
                        (c.token_credential.empty() ? 0 : 1) + (c.password_env.empty() ? 0 : 1);
    if (sources == 0) {
        s.fail("token_env",
               "missing; set exactly one of token_env = VARIABLE, token_file = PATH, "
               "token_credential = NAME or user = NAME with password_env = VARIABLE");
    }
    if (sources > 1) {
        s.fail(c.token_env.empty() ? "token_file" : "token_env",
               "conflicts with another secret key; set exactly one of token_env, token_file, "
               "token_credential and password_env");
    }
    if (s.has("auth")) {
        const auto scheme = sync::parseAuthScheme(s.str("auth"));
        if (!scheme) {
            s.fail("auth", "expected ph-auth-token, bearer or basic, got '" + s.str("auth") + "'");
        }
        c.auth = *scheme;
    } else if (!c.password_env.empty()) {
        c.auth = sync::AuthScheme::Basic;
    }
    if (!c.password_env.empty()) {
        if (c.user.empty()) s.fail("user", "missing; password_env needs user = NAME");
        if (c.auth != sync::AuthScheme::Basic) s.fail("auth", "password_env needs auth = basic");
    }
    c.ca_file = absolute(s.str("ca_file"), base_dir);
    c.verify_tls = s.boolean("verify_tls", true);
    if (s.has("min_tls")) {
        const auto version = s.str("min_tls");
        if (version != "1.2" && version != "1.3") {
            s.fail("min_tls", "expected 1.2 or 1.3, got '" + version + "'");
        }
        c.min_tls_minor = version == "1.3" ? 3 : 2;
    }
    c.timeout = s.duration("timeout", c.timeout);
    c.connect_timeout = s.duration("connect_timeout", c.connect_timeout);
    c.connections = static_cast<unsigned>(s.count("connections", c.connections, 1, 256));
    if (s.has("rate_limit")) {
        double rate = 0;
        if (!Poco::NumberParser::tryParseFloat(s.str("rate_limit"), rate) || rate < 0) {
            s.fail("rate_limit", "expected requests per second (0 = unlimited), got '" +
                                     s.str("rate_limit") + "'");
        }
        c.rate_limit = rate;
    }
    c.retry.max_attempts = static_cast<int>(s.count("retries", 5, 0, 100)) + 1;
    c.max_record_size = static_cast<std::size_t>(
        s.size("max_record_size", c.max_record_size, 4ULL << 10U, 1ULL << 30U));
    return c;
}

}  // namespace

namespace {

std::size_t editDistance(const std::string& a, const std::string& b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] =
                std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0U : 1U)});
            diagonal = up;
        }
    }
    return row[b.size()];
}

}  // namespace

std::string nearest(const std::string& key, const std::vector<std::string>& valid) {
    std::string best;
    std::size_t best_distance = 4;
    for (const auto& candidate : valid) {
        const auto d = editDistance(key, candidate);
        if (d < best_distance) {
            best_distance = d;
            best = candidate;
        }
    }
    return best;
}

const sync::InstanceConfig* AppConfig::instance(const std::string& name) const {
    for (const auto& i : instances) {
        if (i.name == name) return &i;
    }
    return nullptr;
}

const RouteSpec* AppConfig::route(const std::string& name) const {
    for (const auto& r : routes) {
        if (r.config.name == name) return &r;
    }
    return nullptr;
}

AppConfig parseConfig(const AbstractConfiguration& ini, const std::string& base_dir) {
    AbstractConfiguration::Keys top;
    ini.keys("", top);
    std::vector<std::string> instance_names;
    std::vector<std::string> route_names;
    for (const auto& key : top) {
        if (key == "state" || key == "cluster" || key == "http" || key == "log") continue;
        if (key == "instance" || key == "route") {
            AbstractConfiguration::Keys names;
            ini.keys(key, names);
            if (ini.hasProperty(key)) {
                throw ConfigError("[" + key + "]: expected [" + key + ".NAME] sections");
            }
            (key == "instance" ? instance_names : route_names) = names;
            continue;
        }
        std::string message = "[" + key + "]: unknown section";
        const auto guess = nearest(key, {"state", "cluster", "http", "log", "instance", "route"});
        if (!guess.empty()) message += " (did you mean [" + guess + "]?)";
        throw ConfigError(message +
                          "; expected [state], [cluster], [http], [log], [instance.NAME] or "
                          "[route.NAME]");
    }

    AppConfig config;
    ini::parseState(ini, base_dir, config);
    {
        const Section s(ini, "http", "[http]", kHttpKeys);
        const auto listen = s.str("listen", "127.0.0.1:8089");
        if (listen.empty() || listen == "off") {
            config.http.enabled = false;
        } else {
            const auto colon = listen.rfind(':');
            std::string host = colon == std::string::npos ? "" : listen.substr(0, colon);
            if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
                host = host.substr(1, host.size() - 2);
            }
            unsigned port = 0;
            if (colon == std::string::npos || host.empty() ||
                !Poco::NumberParser::tryParseUnsigned(listen.substr(colon + 1), port) ||
                port > 65535) {
                s.fail("listen",
                       "expected HOST:PORT (e.g. 127.0.0.1:8089) or off, got '" + listen + "'");
            }
            config.http.host = host;
            config.http.port = static_cast<unsigned short>(port);
        }
        config.http.token_file = absolute(s.str("token_file"), base_dir);
        config.http.allowed_hosts = splitList(s.str("allowed_hosts"));
        if (config.http.enabled && !isLoopback(config.http.host) &&
            config.http.token_file.empty()) {
            s.fail("token_file", "required when listen is not a loopback address ('" +
                                     config.http.host + "'): the status pages need a token");
        }
    }
    {
        const Section s(ini, "log", "[log]", kLogKeys);
        auto& l = config.log;
        l.level = Poco::toLower(s.str("level", l.level));
        if (std::find(kLevels.begin(), kLevels.end(), l.level) == kLevels.end()) {
            s.fail("level", "expected one of " + joined(kLevels) + ", got '" + l.level + "'");
        }
        l.format = s.str("format", l.format);
        if (l.format != "text" && l.format != "json") {
            s.fail("format", "expected text or json, got '" + l.format + "'");
        }
        l.file = absolute(s.str("file"), base_dir);
        l.rotate = s.str("rotate", l.rotate);
        try {
            Poco::AutoPtr<Poco::FileChannel> probe(new Poco::FileChannel);
            probe->setProperty(Poco::FileChannel::PROP_ROTATION, l.rotate);
        } catch (const Poco::Exception&) {
            s.fail("rotate", "expected a size (10M, 500K), daily, weekly, monthly or never, got '" +
                                 l.rotate + "'");
        }
        l.keep = static_cast<unsigned>(s.count("keep", l.keep, 1, 1000));
        l.compress = s.boolean("compress", l.compress);
    }
    for (const auto& name : instance_names) {
        config.instances.push_back(parseInstance(ini, name, base_dir));
    }
    for (const auto& name : route_names) {
        config.routes.push_back(ini::parseRoute(ini, name, config.instances));
    }
    if (config.routes.empty()) {
        throw ConfigError("[route.NAME]: no route defined; expected at least one route section");
    }
    ini::parseCluster(ini, Poco::Environment::nodeName(), config);
    return config;
}

AppConfig loadConfig(const std::string& path) {
    const std::string absolute_path = Poco::Path(path).absolute().toString();
    std::ifstream in(absolute_path, std::ios::binary);
    if (!in) {
        throw ConfigError(absolute_path + ": cannot read the config file (" +
                          std::string(std::strerror(errno)) + ")");
    }
    std::ostringstream text;
    text << in.rdbuf();
    std::istringstream clean(stripComments(text.str()));
    Poco::AutoPtr<Poco::Util::IniFileConfiguration> ini(
        new Poco::Util::IniFileConfiguration(clean));
    try {
        auto config = parseConfig(*ini, Poco::Path(absolute_path).parent().toString());
        config.path = absolute_path;
        return config;
    } catch (const ConfigError& e) {
        throw ConfigError(absolute_path + ": " + e.what());
    }
}

std::string configPath(const std::string& from_option) {
    if (!from_option.empty()) return from_option;
    if (const char* env = std::getenv("SOAR_SYNC_CONFIG"); env && *env) return env;
    return kDefaultConfigPath;
}

std::string unknownRouteMessage(const AppConfig& config, const std::string& route) {
    std::vector<std::string> names;
    for (const auto& r : config.routes) names.push_back(r.config.name);
    std::string out = "no route '" + route + "' in " + config.path;
    const auto guess = nearest(route, names);
    if (!guess.empty()) out += "; did you mean '" + guess + "'?";
    out += names.empty() ? " (it has no routes)" : "; its routes: " + joined(names);
    return out;
}

}  // namespace soar::app
