#include "ConfigTestUtil.h"
#include "soar/app/Config.h"
#include "support/TempDir.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>
#include <vector>

namespace {

using soar::app::loadConfig;
using soar::app::test::errorOf;
using soar::app::test::kInstances;
using soar::app::test::kRoute;
using soar::app::test::write;

}  // namespace

TEST_CASE("the reference and demo configs load", "[app][config]") {
    const auto reference = loadConfig(SOAR_SYNC_ETC_DIR "/soar-sync.ini");
    CHECK(reference.state.path == "/var/lib/soar-sync/state.db");
    CHECK(reference.state.backend == soar::state::StateOptions::Backend::Sqlite);
    CHECK(reference.cluster.routes.empty());
    CHECK(reference.http.host == "127.0.0.1");
    CHECK(reference.http.port == 8089);
    CHECK(reference.log.level == "information");
    REQUIRE(reference.instances.size() == 2);
    CHECK(reference.instances[0].connections == 4);
    CHECK(reference.instances[0].timeout == std::chrono::seconds(30));
    CHECK(reference.instances[0].min_tls_minor == 2);
    CHECK(reference.instances[0].max_record_size == 16U << 20U);
    REQUIRE(reference.routes.size() == 1);
    const auto& route = reference.routes[0].config;
    CHECK(route.poll_interval == std::chrono::seconds(30));
    CHECK(route.page_size == 200);
    CHECK(route.lookback == std::chrono::seconds(60));
    CHECK(route.targets == std::vector<std::string>{"dr"});
    CHECK_FALSE(reference.routes[0].playbook);

    const auto demo = loadConfig(SOAR_SYNC_ETC_DIR "/demo.ini");
    CHECK(demo.http.port == 8089);
    CHECK(demo.instances.at(0).allow_insecure_http);
}

TEST_CASE("every key of a route is parsed", "[app][config]") {
    soar::test::TempDir dir;
    const auto config =
        loadConfig(write(dir, kInstances + "min_tls = 1.3\nmax_record_size = 512KiB\n" + R"(
[state]
path = state/db.sqlite   ; relative to the config file
[http]
listen = 0.0.0.0:0
token_file = status.token
[log]
level = debug
format = json
file = logs/soar-sync.log
rotate = daily
keep = 3
compress = false
[route.r]
source = a
targets = b
poll_interval = 250ms
page_size = 50
lookback = 0
start_from = 2024-01-02T03:04:05Z
filter.label = events, incident
filter.severity = high,medium
filter.status = new
filter.tags = phishing
filter.raw = _filter_sensitivity="amber"
label_map = events:synced_events, incident:synced_incident
add_tags = synced-from-a
artifacts = false
notes = true
attachments = true
attachment_max_size = 8MiB
owner_map = by_name
custom_fields = false
workbooks = true
playbook = local/triage
playbook_scope = all
playbook_on = both
playbook_timeout = 5m
mirror_back = status, severity, owner, notes
conflict = target
report_back = comment
lists = blocklist, vip_users
list_max_size = 2MiB
on_source_delete = close
reconcile_interval = 30m
)"));
    CHECK(config.state.path == (dir.path() / "state/db.sqlite").string());
    CHECK(config.http.host == "0.0.0.0");
    CHECK(config.http.port == 0);
    CHECK(config.http.token_file == (dir.path() / "status.token").string());
    CHECK(config.log.format == "json");
    CHECK(config.log.keep == 3);
    CHECK_FALSE(config.log.compress);
    const auto& spec = config.routes.at(0);
    const auto& r = spec.config;
    CHECK(r.poll_interval == std::chrono::milliseconds(250));
    CHECK(r.page_size == 50);
    CHECK(r.lookback.count() == 0);
    CHECK(r.start_from == "2024-01-02T03:04:05.000000Z");
    CHECK(r.filters.labels == std::vector<std::string>{"events", "incident"});
    CHECK(r.filters.severities == std::vector<std::string>{"high", "medium"});
    CHECK(r.filters.raw == std::vector<std::string>{"_filter_sensitivity=\"amber\""});
    CHECK(r.label_map.at("incident") == "synced_incident");
    CHECK(r.add_tags == std::vector<std::string>{"synced-from-a"});
    CHECK_FALSE(r.artifacts);
    CHECK(r.notes);
    CHECK(r.attachments);
    CHECK(r.attachment_max_size == 8U << 20U);
    CHECK(r.owners_by_name);
    CHECK_FALSE(r.custom_fields);
    CHECK(r.workbooks);
    CHECK(r.mirror_back.status);
    CHECK(r.mirror_back.severity);
    CHECK(r.mirror_back.owner);
    CHECK(r.mirror_back.notes);
    CHECK_FALSE(r.mirror_back.tags);
    CHECK(r.conflict == soar::sync::ConflictRule::Target);
    CHECK(r.report_back == soar::sync::ReportBack::Comment);
    CHECK(r.lists == std::vector<std::string>{"blocklist", "vip_users"});
    CHECK(r.list_max_size == 2U << 20U);
    CHECK(r.on_source_delete == soar::sync::OnSourceDelete::Close);
    CHECK(r.reconcile_interval == std::chrono::minutes(30));
    REQUIRE(spec.playbook);
    CHECK(spec.playbook->scope == "all");
    CHECK(spec.playbook->on_create);
    CHECK(spec.playbook->on_update);
    CHECK(spec.playbook->timeout == std::chrono::minutes(5));
    CHECK(config.instances.at(1).token_file == (dir.path() / "b.token").string());
    CHECK(config.instances.at(1).min_tls_minor == 3);
    CHECK(config.instances.at(1).max_record_size == 512U << 10U);
    CHECK(config.instances.at(0).max_record_size == 16U << 20U);
}

TEST_CASE("broken configs name the section, the key and what is expected", "[app][config]") {
    struct Case {
        const char* what;
        std::string ini;
        const char* message;
    };
    const std::vector<Case> cases = {
        {"unknown key", kInstances + kRoute + "poll_intervall = 5s\n",
         "[route.r] poll_intervall: unknown key (did you mean 'poll_interval'?)"},
        {"unknown section", kInstances + kRoute + "[stat]\npath = x\n",
         "[stat]: unknown section (did you mean [state]?)"},
        {"token in the INI", kInstances + "token = abc\n" + kRoute,
         "[instance.b] token: secrets are never read from the config file"},
        {"no secret",
         "[instance.a]\nurl = https://a\n[instance.b]\nurl = https://b\ntoken_env=X\n" + kRoute,
         "[instance.a] token_env: missing; set exactly one of"},
        {"two secrets", kInstances + "token_env = B\n" + kRoute,
         "[instance.b] token_env: conflicts with another secret key"},
        {"http without opt-in",
         "[instance.a]\nurl = http://a\ntoken_env = A\n[instance.b]\nurl = https://b\ntoken_env "
         "= B\n" +
             kRoute,
         "[instance.a] url: http:// sends the token in clear text"},
        {"not a url",
         "[instance.a]\nurl = ftp://a\ntoken_env = A\n[instance.b]\nurl = https://b\ntoken_env = "
         "B\n" +
             kRoute,
         "[instance.a] url: expected an https:// URL"},
        {"bad auth", kInstances + "auth = kerberos\n" + kRoute,
         "[instance.b] auth: expected ph-auth-token, bearer or basic, got 'kerberos'"},
        {"bad duration", kInstances + kRoute + "poll_interval = 30 seconds\n",
         "[route.r] poll_interval: expected a duration like 250ms, 30s, 5m or 1h, got '30 "
         "seconds'"},
        {"zero timeout", kInstances + "timeout = 0\n" + kRoute,
         "[instance.b] timeout: expected a duration above zero"},
        {"bad bool", kInstances + kRoute + "artifacts = maybe\n",
         "[route.r] artifacts: expected true or false, got 'maybe'"},
        {"bad min_tls", kInstances + "min_tls = 1.1\n" + kRoute,
         "[instance.b] min_tls: expected 1.2 or 1.3, got '1.1'"},
        {"decimal size", kInstances + "max_record_size = 16MB\n" + kRoute,
         "[instance.b] max_record_size: expected a size from 4KiB to 1024MiB like 16MiB, got "
         "'16MB'"},
        {"tiny size", kInstances + "max_record_size = 100\n" + kRoute,
         "[instance.b] max_record_size: expected a size from 4KiB to 1024MiB like 16MiB, got "
         "'100'"},
        {"bad number", kInstances + "connections = many\n" + kRoute,
         "[instance.b] connections: expected a whole number from 1 to 256, got 'many'"},
        {"unknown source", kInstances + "[route.r]\nsource = c\ntargets = b\n",
         "[route.r] source: no section [instance.c]; expected a defined instance"},
        {"unknown target", kInstances + "[route.r]\nsource = a\ntargets = b, d\n",
         "[route.r] targets: no section [instance.d]"},
        {"target is source", kInstances + "[route.r]\nsource = a\ntargets = a\n",
         "[route.r] targets: 'a' is the route's source"},
        {"missing targets", kInstances + "[route.r]\nsource = a\n",
         "[route.r] targets: missing; expected a comma list"},
        {"bad label_map", kInstances + kRoute + "label_map = events\n",
         "[route.r] label_map: expected source:target pairs"},
        {"bad start_from", kInstances + kRoute + "start_from = yesterday\n",
         "[route.r] start_from: expected beginning, now or an ISO 8601 timestamp"},
        {"bad filter.raw", kInstances + kRoute + "filter.raw = sensitivity=amber\n",
         "[route.r] filter.raw: expected one Django filter"},
        {"unknown filter", kInstances + kRoute + "filter.labels = x\n",
         "[route.r] filter.labels: unknown key (did you mean 'filter.label'?)"},
        {"bad playbook_on", kInstances + kRoute + "playbook = a/b\nplaybook_on = delete\n",
         "[route.r] playbook_on: expected create, update or both, got 'delete'"},
        {"playbook keys without playbook", kInstances + kRoute + "playbook_scope = all\n",
         "[route.r] playbook_scope: has no effect without playbook"},
        {"bad owner_map", kInstances + kRoute + "owner_map = by_id\n",
         "[route.r] owner_map: expected by_name or off, got 'by_id'"},
        {"unknown mirror_back item", kInstances + kRoute + "mirror_back = status,priority\n",
         "[route.r] mirror_back: expected a comma list of status, severity, sensitivity, owner, "
         "tags, notes, comments, tasks; got 'priority'"},
        {"owner back without owner_map", kInstances + kRoute + "mirror_back = owner\n",
         "[route.r] mirror_back: owner flows back by username: it needs owner_map = by_name"},
        {"notes back without notes", kInstances + kRoute + "mirror_back = notes\n",
         "[route.r] mirror_back: notes and comments flow back only on a route with notes = true"},
        {"tasks back without workbooks", kInstances + kRoute + "mirror_back = tasks\n",
         "[route.r] mirror_back: tasks flow back only on a route with workbooks = true"},
        {"bad conflict", kInstances + kRoute + "mirror_back = status\nconflict = oldest\n",
         "[route.r] conflict: expected newest, source or target, got 'oldest'"},
        {"bad report_back", kInstances + kRoute + "playbook = local/x\nreport_back = email\n",
         "[route.r] report_back: expected note, comment or off, got 'email'"},
        {"report_back without playbook", kInstances + kRoute + "report_back = note\n",
         "[route.r] report_back: has no effect without playbook"},
        {"a list named twice", kInstances + kRoute + "lists = a, b, a\n",
         "[route.r] lists: names 'a' twice"},
        {"list_max_size above SOAR's limit",
         kInstances + kRoute + "lists = a\nlist_max_size = 1GiB\n",
         "[route.r] list_max_size: expected a size from 1KiB to 256MiB"},
        {"list_max_size without lists", kInstances + kRoute + "list_max_size = 1MiB\n",
         "[route.r] list_max_size: has no effect without lists"},
        {"bad on_source_delete", kInstances + kRoute + "on_source_delete = purge\n",
         "[route.r] on_source_delete: expected keep, close or delete, got 'purge'"},
        {"delete with a token", kInstances + kRoute + "on_source_delete = delete\n",
         "[route.r] on_source_delete: delete needs a user on instance 'b' (SOAR refuses DELETE "
         "with a token): set user and password_env in [instance.b]"},
        {"reconcile_interval too short", kInstances + kRoute + "reconcile_interval = 10s\n",
         "[route.r] reconcile_interval: expected at least 1m"},
        {"conflict without fields", kInstances + kRoute + "conflict = source\n",
         "[route.r] conflict: has no effect without container fields in mirror_back"},
        {"file limit without files", kInstances + kRoute + "attachment_max_size = 1MiB\n",
         "[route.r] attachment_max_size: has no effect without attachments = true"},
        {"file limit too small",
         kInstances + kRoute + "attachments = true\nattachment_max_size = 12\n",
         "[route.r] attachment_max_size:"},
        {"public listen without token", kInstances + kRoute + "[http]\nlisten = 0.0.0.0:8089\n",
         "[http] token_file: required when listen is not a loopback address"},
        {"bad listen", kInstances + kRoute + "[http]\nlisten = 8089\n",
         "[http] listen: expected HOST:PORT"},
        {"bad level", kInstances + kRoute + "[log]\nlevel = verbose\n",
         "[log] level: expected one of"},
        {"bad format", kInstances + kRoute + "[log]\nformat = xml\n",
         "[log] format: expected text or json, got 'xml'"},
        {"bad rotate", kInstances + kRoute + "[log]\nrotate = often\n",
         "[log] rotate: expected a size"},
        {"no route", kInstances, "[route.NAME]: no route defined"},
        {"bad backend", kInstances + kRoute + "[state]\nbackend = mysql\n",
         "[state] backend: expected sqlite or postgresql, got 'mysql'"},
        {"postgresql without url", kInstances + kRoute + "[state]\nbackend = postgresql\n",
         "[state] url: missing; expected postgresql://USER@HOST"},
        {"not a postgresql url",
         kInstances + kRoute + "[state]\nbackend = postgresql\nurl = mysql://db/x\n",
         "[state] url: expected a postgresql:// URL such as"},
        {"path with postgresql",
         kInstances + kRoute +
             "[state]\nbackend = postgresql\nurl = postgres://s@db/x\npath = /x.db\n",
         "[state] path: has no effect with backend = postgresql"},
        {"url with sqlite", kInstances + kRoute + "[state]\nurl = postgresql://s@db/x\n",
         "[state] url: has no effect with backend = sqlite"},
        {"two password keys",
         kInstances + kRoute + "[state]\npassword_env = PW\npassword_file = pw.txt\n",
         "[state] password_file: conflicts with password_env"},
        {"password in the state section", kInstances + kRoute + "[state]\npassword = abc\n",
         "[state] password: secrets are never read from the config file"},
        {"state key typo", kInstances + kRoute + "[state]\npasword_env = PW\n",
         "[state] pasword_env: unknown key (did you mean 'password_env'?)"},
        {"cluster section typo", kInstances + kRoute + "[clustr]\nnode = a\n",
         "[clustr]: unknown section (did you mean [cluster]?); expected [state], [cluster],"},
        {"cluster key typo", kInstances + kRoute + "[cluster]\nlease_tll = 10s\n",
         "[cluster] lease_tll: unknown key (did you mean 'lease_ttl'?)"},
        {"node with a space", kInstances + kRoute + "[cluster]\nnode = sync a\n",
         "[cluster] node: expected 1 to 64 letters, digits, '.', '_' or '-', got 'sync a'"},
        {"node too long", kInstances + kRoute + "[cluster]\nnode = " + std::string(65, 'n') + "\n",
         "[cluster] node: expected 1 to 64"},
        {"lease_ttl too short", kInstances + kRoute + "[cluster]\nlease_ttl = 1s\n",
         "[cluster] lease_ttl: expected a duration from 2s to 1h, got '1s'"},
        {"lease_ttl too long", kInstances + kRoute + "[cluster]\nlease_ttl = 2h\n",
         "[cluster] lease_ttl: expected a duration from 2s to 1h, got '2h'"},
        {"lease_ttl not a duration", kInstances + kRoute + "[cluster]\nlease_ttl = soon\n",
         "[cluster] lease_ttl: expected a duration like 250ms"},
        {"unknown cluster route", kInstances + kRoute + "[cluster]\nroutes = r, rr\n",
         "[cluster] routes: no route 'rr' (did you mean 'r'?); the configured routes: r"},
        {"cluster route twice", kInstances + kRoute + "[cluster]\nroutes = r, r\n",
         "[cluster] routes: names 'r' twice"},
        {"empty cluster routes", kInstances + kRoute + "[cluster]\nroutes = ,\n",
         "[cluster] routes: expected a comma list of route names"},
        {"bad name", kInstances + "[route.r x]\nsource = a\ntargets = b\n",
         "[route.r x]: a route name may hold only letters"},
    };
    for (const auto& c : cases) {
        INFO(c.what);
        const auto message = errorOf(c.ini);
        CHECK_THAT(message, Catch::Contains(c.message));
    }
}

TEST_CASE("on_source_delete = delete loads when every target signs in as a user", "[app][config]") {
    const std::string instances = R"(
[instance.a]
url = https://a.example.com
token_env = A_TOKEN
[instance.b]
url = https://b.example.com
auth = basic
user = soar-sync
password_env = B_PASSWORD
)";
    CHECK(errorOf(instances + kRoute + "on_source_delete = delete\n").empty());
}

TEST_CASE("a missing config file is a config error naming the path", "[app][config]") {
    CHECK_THROWS_WITH(loadConfig("/nonexistent/soar-sync.ini"),
                      Catch::Contains("/nonexistent/soar-sync.ini: cannot read the config file"));
}

TEST_CASE("durations and lists", "[app][config]") {
    using soar::app::parseDuration;
    using std::chrono::milliseconds;
    CHECK(parseDuration("250ms") == milliseconds(250));
    CHECK(parseDuration("30s") == milliseconds(30'000));
    CHECK(parseDuration("5m") == milliseconds(300'000));
    CHECK(parseDuration("1h") == milliseconds(3'600'000));
    CHECK(parseDuration("2d") == milliseconds(172'800'000));
    CHECK(parseDuration(" 0 ") == milliseconds(0));
    for (const char* bad : {"", "s", "30", "-5s", "5 minutes", "1.5h", "5M"}) {
        INFO(bad);
        CHECK_FALSE(parseDuration(bad));
    }
    CHECK(soar::app::splitList(" a, b ,,c ") == std::vector<std::string>{"a", "b", "c"});
    CHECK(soar::app::stripComments("a = b ; note\n; full\n#x\nc = d;e\n") ==
          "a = b \n\n\nc = d;e\n");
}

TEST_CASE("the config path comes from --config, then SOAR_SYNC_CONFIG, then the default",
          "[app][config]") {
    ::unsetenv("SOAR_SYNC_CONFIG");
    CHECK(soar::app::configPath("") == "/etc/soar-sync/soar-sync.ini");
    ::setenv("SOAR_SYNC_CONFIG", "/tmp/x.ini", 1);
    CHECK(soar::app::configPath("") == "/tmp/x.ini");
    CHECK(soar::app::configPath("/y.ini") == "/y.ini");
    ::unsetenv("SOAR_SYNC_CONFIG");
}
