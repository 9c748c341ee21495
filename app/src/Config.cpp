#include "soar/app/Config.h"

#include "soar/client/Query.h"
#include "soar/client/Timestamp.h"

#include <Poco/Exception.h>
#include <Poco/FileChannel.h>
#include <Poco/Logger.h>
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
#include <set>
#include <sstream>

namespace soar::app {

namespace {

using Poco::Util::AbstractConfiguration;

const std::vector<std::string> kStateKeys = {"path", "busy_timeout"};
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
const std::vector<std::string> kRouteKeys = {"source",
                                             "targets",
                                             "poll_interval",
                                             "page_size",
                                             "lookback",
                                             "start_from",
                                             "filter.label",
                                             "filter.severity",
                                             "filter.status",
                                             "filter.tags",
                                             "filter.raw",
                                             "label_map",
                                             "add_tags",
                                             "artifacts",
                                             "notes",
                                             "playbook",
                                             "playbook_scope",
                                             "playbook_on",
                                             "playbook_timeout",
                                             "attachments",
                                             "attachment_max_size",
                                             "owner_map",
                                             "custom_fields",
                                             "workbooks",
                                             "mirror_back",
                                             "conflict",
                                             "report_back",
                                             "lists",
                                             "list_max_size",
                                             "on_source_delete",
                                             "reconcile_interval"};
const std::vector<std::string> kLevels = {"none",   "fatal",       "critical", "error", "warning",
                                          "notice", "information", "debug",    "trace"};

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) out += ", ";
        out += item;
    }
    return out;
}

/// Every key under `prefix`, relative to it, dotted (`filter.label`).
void leafKeys(const AbstractConfiguration& ini, const std::string& prefix, const std::string& rel,
              std::vector<std::string>& out) {
    AbstractConfiguration::Keys keys;
    ini.keys(prefix, keys);
    for (const auto& k : keys) {
        const std::string full = prefix.empty() ? k : prefix + "." + k;
        const std::string name = rel.empty() ? k : rel + "." + k;
        if (ini.hasProperty(full)) out.push_back(name);
        leafKeys(ini, full, name, out);
    }
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
    const AbstractConfiguration& ini_;
    std::string prefix_;
    std::string label_;
};

std::string absolute(const std::string& path, const std::string& base_dir) {
    if (path.empty()) return path;
    Poco::Path p(path);
    if (p.isAbsolute()) return p.toString();
    return Poco::Path(Poco::Path(base_dir).makeDirectory(), p).toString();
}

bool isLoopback(const std::string& host) {
    if (host == "localhost") return true;
    Poco::Net::IPAddress address;
    if (!Poco::Net::IPAddress::tryParse(host, address)) return false;
    return address.isLoopback();
}

void checkName(const Section& section, const std::string& kind, const std::string& name) {
    const bool ok = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
    });
    if (!ok) {
        throw ConfigError(section.label() + ": a " + kind +
                          " name may hold only letters, digits, '-' and '_'");
    }
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

std::map<std::string, std::string> parseLabelMap(const Section& s) {
    std::map<std::string, std::string> out;
    for (const auto& pair : splitList(s.str("label_map"))) {
        const auto colon = pair.find(':');
        const auto from = Poco::trim(pair.substr(0, colon));
        const auto to = colon == std::string::npos ? "" : Poco::trim(pair.substr(colon + 1));
        if (colon == std::string::npos || from.empty() || to.empty()) {
            s.fail("label_map",
                   "expected source:target pairs separated by commas, got '" + pair + "'");
        }
        if (!out.emplace(from, to).second) {
            s.fail("label_map", "source label '" + from + "' is mapped twice");
        }
    }
    return out;
}

RouteSpec parseRoute(const AbstractConfiguration& ini, const std::string& name,
                     const std::vector<sync::InstanceConfig>& instances) {
    const Section s(ini, "route." + name, "[route." + name + "]", kRouteKeys);
    checkName(s, "route", name);
    const auto known = [&](const std::string& instance) {
        return std::any_of(instances.begin(), instances.end(),
                           [&](const auto& i) { return i.name == instance; });
    };
    RouteSpec spec;
    auto& r = spec.config;
    r.name = name;
    r.source = s.required("source", "the name of an [instance.NAME] section");
    if (!known(r.source)) {
        s.fail("source", "no section [instance." + r.source + "]; expected a defined instance");
    }
    r.targets = splitList(s.required("targets", "a comma list of [instance.NAME] names"));
    std::set<std::string> seen;
    for (const auto& target : r.targets) {
        if (!known(target)) {
            s.fail("targets", "no section [instance." + target + "]; expected defined instances");
        }
        if (target == r.source) {
            s.fail("targets", "'" + target + "' is the route's source; a route cannot target it");
        }
        if (!seen.insert(target).second) s.fail("targets", "'" + target + "' is listed twice");
    }
    r.poll_interval = s.duration("poll_interval", r.poll_interval);
    r.page_size = static_cast<std::size_t>(s.count("page_size", r.page_size, 1, 5000));
    r.lookback = s.duration("lookback", r.lookback, true);
    r.start_from = s.str("start_from", "beginning");
    if (r.start_from != "beginning" && r.start_from != "now") {
        const auto at = sync::Timestamp::parse(r.start_from);
        if (!at) {
            s.fail("start_from",
                   "expected beginning, now or an ISO 8601 timestamp, got '" + r.start_from + "'");
        }
        r.start_from = at->toString();
    }
    r.filters.labels = splitList(s.str("filter.label"));
    r.filters.severities = splitList(s.str("filter.severity"));
    r.filters.statuses = splitList(s.str("filter.status"));
    r.filters.tags = splitList(s.str("filter.tags"));
    if (const auto raw = s.str("filter.raw"); !raw.empty()) {
        try {
            sync::Query().raw(raw);
        } catch (const std::invalid_argument&) {
            s.fail("filter.raw",
                   "expected one Django filter like _filter_field=\"value\", got '" + raw + "'");
        }
        r.filters.raw.push_back(raw);
    }
    r.label_map = parseLabelMap(s);
    r.add_tags = splitList(s.str("add_tags"));
    r.artifacts = s.boolean("artifacts", true);
    r.notes = s.boolean("notes", false);
    r.attachments = s.boolean("attachments", false);
    r.attachment_max_size =
        s.size("attachment_max_size", r.attachment_max_size, 1ULL << 10U, 1ULL << 40U);
    if (s.has("attachment_max_size") && !r.attachments) {
        s.fail("attachment_max_size", "has no effect without attachments = true");
    }
    const auto owners = s.str("owner_map");
    if (owners == "by_name") {
        r.owners_by_name = true;
    } else if (!owners.empty() && owners != "off") {
        s.fail("owner_map", "expected by_name or off, got '" + owners + "'");
    }
    r.custom_fields = s.boolean("custom_fields", true);
    r.workbooks = s.boolean("workbooks", false);
    for (const auto& item : splitList(s.str("mirror_back"))) {
        auto& m = r.mirror_back;
        bool* flag = item == "status"        ? &m.status
                     : item == "severity"    ? &m.severity
                     : item == "sensitivity" ? &m.sensitivity
                     : item == "owner"       ? &m.owner
                     : item == "tags"        ? &m.tags
                     : item == "notes"       ? &m.notes
                     : item == "comments"    ? &m.comments
                     : item == "tasks"       ? &m.tasks
                                             : nullptr;
        if (!flag) {
            s.fail("mirror_back",
                   "expected a comma list of status, severity, sensitivity, owner, tags, notes, "
                   "comments, tasks; got '" +
                       item + "'");
        }
        *flag = true;
    }
    if (r.mirror_back.owner && !r.owners_by_name) {
        s.fail("mirror_back", "owner flows back by username: it needs owner_map = by_name");
    }
    if ((r.mirror_back.notes || r.mirror_back.comments) && !r.notes) {
        s.fail("mirror_back", "notes and comments flow back only on a route with notes = true");
    }
    if (r.mirror_back.tasks && !r.workbooks) {
        s.fail("mirror_back", "tasks flow back only on a route with workbooks = true");
    }
    const auto conflict = s.str("conflict", "newest");
    if (conflict == "newest") {
        r.conflict = sync::ConflictRule::Newest;
    } else if (conflict == "source") {
        r.conflict = sync::ConflictRule::Source;
    } else if (conflict == "target") {
        r.conflict = sync::ConflictRule::Target;
    } else {
        s.fail("conflict", "expected newest, source or target, got '" + conflict + "'");
    }
    if (s.has("conflict") && !r.mirror_back.fields()) {
        s.fail("conflict", "has no effect without container fields in mirror_back");
    }

    for (const auto& list : splitList(s.str("lists"))) {
        if (std::find(r.lists.begin(), r.lists.end(), list) != r.lists.end()) {
            s.fail("lists", "names '" + list + "' twice");
        }
        r.lists.push_back(list);
    }
    const auto on_delete = s.str("on_source_delete", "keep");
    if (on_delete == "keep") {
        r.on_source_delete = sync::OnSourceDelete::Keep;
    } else if (on_delete == "close") {
        r.on_source_delete = sync::OnSourceDelete::Close;
    } else if (on_delete == "delete") {
        r.on_source_delete = sync::OnSourceDelete::Delete;
        // SOAR refuses DELETE from an automation token: the copies are deleted as a user.
        for (const auto& target : r.targets) {
            const auto found =
                std::find_if(instances.begin(), instances.end(),
                             [&](const sync::InstanceConfig& i) { return i.name == target; });
            if (found != instances.end() && (found->user.empty() || found->password_env.empty())) {
                s.fail("on_source_delete",
                       "delete needs a user on instance '" + target +
                           "' (SOAR refuses DELETE with a token): set user and password_env in "
                           "[instance." +
                           target + "]");
            }
        }
    } else {
        s.fail("on_source_delete", "expected keep, close or delete, got '" + on_delete + "'");
    }
    r.reconcile_interval = s.duration("reconcile_interval", r.reconcile_interval);
    if (r.reconcile_interval < std::chrono::minutes(1)) {
        s.fail("reconcile_interval",
               "expected at least 1m (each reconcile asks the source for "
               "every mapped container)");
    }

    // SOAR keeps at most 256 MB per list and truncates larger ones without an error.
    r.list_max_size = s.size("list_max_size", r.list_max_size, 1ULL << 10U, 256ULL << 20U);
    if (s.has("list_max_size") && r.lists.empty()) {
        s.fail("list_max_size", "has no effect without lists");
    }

    const auto report = s.str("report_back", "off");
    if (report == "note") {
        r.report_back = sync::ReportBack::Note;
    } else if (report == "comment") {
        r.report_back = sync::ReportBack::Comment;
    } else if (report != "off") {
        s.fail("report_back", "expected note, comment or off, got '" + report + "'");
    }

    const auto playbook = s.str("playbook");
    if (playbook.empty()) {
        for (const char* key :
             {"playbook_scope", "playbook_on", "playbook_timeout", "report_back"}) {
            if (s.has(key)) s.fail(key, "has no effect without playbook = repo/name");
        }
        return spec;
    }
    sync::PlaybookConfig p;
    p.playbook = playbook;
    p.scope = s.str("playbook_scope", "new");
    if (p.scope != "new" && p.scope != "all") {
        s.fail("playbook_scope", "expected new or all, got '" + p.scope + "'");
    }
    const auto on = s.str("playbook_on", "create");
    if (on != "create" && on != "update" && on != "both") {
        s.fail("playbook_on", "expected create, update or both, got '" + on + "'");
    }
    p.on_create = on != "update";
    p.on_update = on != "create";
    p.timeout = s.duration("playbook_timeout", p.timeout);
    spec.playbook = p;
    return spec;
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
        if (key == "state" || key == "http" || key == "log") continue;
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
        const auto guess = nearest(key, {"state", "http", "log", "instance", "route"});
        if (!guess.empty()) message += " (did you mean [" + guess + "]?)";
        throw ConfigError(message +
                          "; expected [state], [http], [log], [instance.NAME] or [route.NAME]");
    }

    AppConfig config;
    {
        const Section s(ini, "state", "[state]", kStateKeys);
        config.state.path = absolute(s.str("path", "/var/lib/soar-sync/state.db"), base_dir);
        config.state.busy_timeout = s.duration("busy_timeout", config.state.busy_timeout);
    }
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
        config.routes.push_back(parseRoute(ini, name, config.instances));
    }
    if (config.routes.empty()) {
        throw ConfigError("[route.NAME]: no route defined; expected at least one route section");
    }
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
