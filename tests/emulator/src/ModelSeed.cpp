// Deterministic seeded data: the same seed and counts always give the same records.

#include "Model.h"

#include <algorithm>
#include <random>

namespace soar::emulator {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

/// mt19937_64's output is fixed by the standard, unlike the std distributions, so only
/// it and plain modulo are used: the data is the same on every platform.
class Dice {
public:
    explicit Dice(std::uint64_t seed) : engine_(seed) {}
    std::uint64_t roll(std::uint64_t sides) { return engine_() % sides; }
    bool chance(unsigned percent) { return roll(100) < percent; }
    template <typename T>
    const T& pick(const std::vector<T>& items) {
        return items[static_cast<std::size_t>(roll(items.size()))];
    }

private:
    std::mt19937_64 engine_;
};

namespace {

/// 2024-01-01T00:00:00Z: seeded records are dated from here, one container a second (or,
/// with coarse time, 512 containers to a second so that whole pages tie).
constexpr Micros kSeedEpoch = 1704067200LL * 1000000LL;
constexpr std::int64_t kCoarseGroup = 512;

const std::vector<std::string> kNames = {"Suspicious login from {ip}",
                                         "Phishing e-mail « {word} »",
                                         "Malware détectée sur {host}",
                                         "不審なアクセス {n}",
                                         "Ransomware 🔥 on {host}",
                                         "Data exfiltration to {domain}",
                                         "Brute force ✓ against {user}",
                                         "Beaconing from {host} — Ünïcode check",
                                         "Impossible travel: {user} (東京 → São Paulo)",
                                         "Port scan from {ip}"};
const std::vector<std::string> kWords = {"invoice", "payroll", "réunion", "パスワード", "urgent"};
const std::vector<std::string> kHosts = {"ws-0142", "srv-db-01", "laptop-ana", "dc01", "mac-zoë"};
const std::vector<std::string> kUsers = {"alice", "bob", "chloé", "dmitri", "李雷"};
const std::vector<std::string> kDomains = {"example.com", "evil.test", "bücher.example",
                                           "cdn.example.net"};
const std::vector<std::string> kSeverities = {"low", "medium", "high"};
const std::vector<std::string> kStatuses = {"new", "open", "closed"};
const std::vector<std::string> kSensitivities = {"white", "green", "amber", "red"};
const std::vector<std::string> kTags = {"phishing",       "malware", "vpn", "priority",
                                        "false-positive", "réseau",  "東京"};
const std::vector<std::string> kRegions = {"emea", "amer", "apac"};
const std::vector<std::string> kArtifactTypes = {"network", "file", "url", "user", "host"};
const std::vector<std::string> kNoteTitles = {"Triage", "Containment", "Escalated to tier 2",
                                              "Root cause", "Handover — nuit"};
const std::vector<std::string> kNoteTexts = {
    "Checked {host}: no persistence found, **EDR** scan clean.",
    "Blocked {ip} at the perimeter firewall; change ticket raised with the network team.",
    "{user} confirmed the sign-in was *not* theirs. Password reset and sessions revoked.",
    "Added {domain} to the watch list (検疫済み).",
    "Sample of « {word} » sent to the sandbox:\n\n- verdict: malicious\n- family: unknown"};
const std::vector<std::string> kComments = {
    "Looking into it.", "Assigned to {user}.", "False positive? Waiting for {user} to confirm.",
    "{host} isolated from the network 🔒", "Réouvert : {ip} beacons again."};
/// Notes and comments draw from their own sequence (the seed xor this), so asking for them
/// leaves the containers and artifacts of a seed as they were.
constexpr std::uint64_t kNoteSeedSalt = 0x6e6f7465636f6d6dULL;
/// A seeded container's notes and comments are dated this long after it (past its artifacts).
constexpr Micros kNoteDelay = 50000;

std::string ip(Dice& dice) {
    return std::to_string(10 + dice.roll(200)) + "." + std::to_string(dice.roll(256)) + "." +
           std::to_string(dice.roll(256)) + "." + std::to_string(1 + dice.roll(254));
}

std::string hex(Dice& dice, int digits) {
    static const char* kHex = "0123456789abcdef";
    std::string out;
    for (int i = 0; i < digits; ++i) {
        out.push_back(kHex[dice.roll(16)]);
    }
    return out;
}

std::string fill(std::string text, Dice& dice, std::int64_t n) {
    auto replace = [&](const std::string& key, const std::string& value) {
        const auto at = text.find(key);
        if (at != std::string::npos) {
            text.replace(at, key.size(), value);
        }
    };
    replace("{ip}", ip(dice));
    replace("{word}", dice.pick(kWords));
    replace("{host}", dice.pick(kHosts));
    replace("{user}", dice.pick(kUsers));
    replace("{domain}", dice.pick(kDomains));
    replace("{n}", std::to_string(n));
    return text;
}

Array::Ptr strings(const std::vector<std::string>& items) {
    Array::Ptr out = new Array;
    for (const auto& s : items) {
        out->add(s);
    }
    return out;
}

Object::Ptr cefFor(Dice& dice, const std::string& type, Object::Ptr& types) {
    Object::Ptr cef = new Object;
    types = new Object;
    if (type == "network") {
        cef->set("sourceAddress", ip(dice));
        cef->set("destinationAddress", ip(dice));
        cef->set("destinationPort",
                 static_cast<Poco::Int64>(dice.pick(std::vector<int>{22, 80, 443, 3389, 8443})));
        types->set("sourceAddress", strings({"ip"}));
        types->set("destinationAddress", strings({"ip"}));
        types->set("destinationPort", strings({"port"}));
    } else if (type == "file") {
        cef->set("fileHash", hex(dice, 64));
        cef->set("fileName", dice.pick(std::vector<std::string>{"invoice.pdf.exe", "résumé.docm",
                                                                "請求書.zip", "run.ps1"}));
        cef->set("fileSize", static_cast<Poco::Int64>(1000 + dice.roll(5000000)));
        types->set("fileHash", strings({"hash", "sha256"}));
        types->set("fileName", strings({"file name"}));
    } else if (type == "url") {
        cef->set("requestURL", "https://" + dice.pick(kDomains) + "/" + dice.pick(kWords) +
                                   "?id=" + hex(dice, 8));
        cef->set("requestMethod", dice.chance(70) ? "GET" : "POST");
        types->set("requestURL", strings({"url"}));
    } else if (type == "user") {
        cef->set("sourceUserName", dice.pick(kUsers));
        cef->set("sourceAddress", ip(dice));
        types->set("sourceUserName", strings({"user name"}));
        types->set("sourceAddress", strings({"ip"}));
    } else {
        cef->set("destinationHostName", dice.pick(kHosts));
        cef->set("deviceCustomString1", dice.chance(50) ? Var("quarantined") : Var());
        types->set("destinationHostName", strings({"host name"}));
    }
    return cef;
}

}  // namespace

void Model::seed(const EmulatorOptions& options) {
    const std::int64_t extra =
        options.extra_label.empty() ? 0 : std::max(0, options.extra_label_containers);
    const std::int64_t total = std::max(0, options.containers) + extra;
    if (total == 0) {
        return;
    }
    Dice dice(options.seed);
    Dice note_dice(options.seed ^ kNoteSeedSalt);
    Micros last = 0;
    for (std::int64_t i = 0; i < total; ++i) {
        const bool labelled = i >= options.containers;
        last = std::max(last, seedContainer(dice, note_dice, options, i,
                                            labelled ? &options.extra_label : nullptr));
    }
    // The source knows the label its containers carry (picked after seeding, so that the
    // other containers keep their labels).
    if (extra > 0 &&
        std::find(labels_.begin(), labels_.end(), options.extra_label) == labels_.end()) {
        labels_.push_back(options.extra_label);
    }
    clock_.observe(last);
}

Micros Model::seedContainer(Dice& dice, Dice& note_dice, const EmulatorOptions& options,
                            std::int64_t i, const std::string* label) {
    Micros last = 0;
    const Micros created = options.coarse_time
                               ? kSeedEpoch + (i / kCoarseGroup) * 1000000
                               : kSeedEpoch + i * 1000000 + static_cast<Micros>(dice.roll(800000));
    Ptr row = new Object;
    row->set("name", fill(dice.pick(kNames), dice, i + 1));
    row->set("label", label != nullptr  ? *label
                      : labels_.empty() ? std::string("events")
                                        : dice.pick(labels_));
    row->set("description", dice.chance(30) ? "" : "Seeded record #" + std::to_string(i + 1));
    const std::string status = dice.pick(kStatuses);
    row->set("status", status);
    row->set("severity", dice.pick(kSeverities));
    row->set("sensitivity", dice.pick(kSensitivities));
    row->set("owner", Var());
    row->set("owner_name", Var());
    row->set("role", Var());
    const std::string sdi = "seed-" + std::to_string(options.seed) + "-" + std::to_string(i + 1);
    row->set("source_data_identifier", sdi);
    row->set("external_id", Var());
    row->set("container_type", dice.chance(10) ? "case" : "default");
    row->set("in_case", row->getValue<std::string>("container_type") == "case");
    std::vector<std::string> tags;
    for (const auto& t : kTags) {
        if (dice.chance(20)) {
            tags.push_back(t);
        }
    }
    row->set("tags", strings(tags));
    Object::Ptr custom = new Object;
    if (dice.chance(60)) {
        custom->set("region", dice.pick(kRegions));
        custom->set("ticket", "INC" + std::to_string(100000 + dice.roll(900000)));
    }
    row->set("custom_fields", custom);
    Object::Ptr data = new Object;
    data->set("source", "seed");
    data->set("n", i + 1);
    row->set("data", data);
    row->set("asset", Var());
    row->set("ingest_app", Var());
    row->set("kill_chain", Var());
    const std::string create_time = formatTimestamp(created);
    row->set("create_time", create_time);
    row->set("start_time", create_time);
    row->set("end_time", Var());
    row->set("due_time", Var());
    row->set("open_time", status == "new" ? Var() : Var(create_time));
    row->set("close_time", status == "closed" ? Var(create_time) : Var());
    row->set("closing_owner", status == "closed" ? Var(Poco::Int64{1}) : Var());
    row->set("closing_rule_run", Var());
    row->set("current_phase", Var());
    row->set("tenant", 0);
    row->set("parent_container", Var());
    row->set("node_guid", "00000000-0000-4000-8000-000000000001");
    row->set("workflow_name", "");
    // Three in ten seeded containers were edited after creation.
    const bool edited = dice.chance(30);
    row->set("version", edited ? 2 : 1);
    Var update = options.null_update_time ? Var() : Var(create_time);
    if (edited) {
        update = formatTimestamp(options.coarse_time ? created : created + 1000);
    }
    row->set("container_update_time", update);
    const std::int64_t id = containers_.insert(row);
    sdi_index_[sdi] = id;

    Var artifact_update = options.null_update_time ? Var() : Var(create_time);
    for (std::int64_t j = 0; j < options.artifacts; ++j) {
        const Micros t = options.coarse_time ? created : created + 10 + j;
        Ptr a = new Object;
        const std::string type = dice.pick(kArtifactTypes);
        Object::Ptr types;
        a->set("cef", cefFor(dice, type, types));
        a->set("cef_types", types);
        a->set("container", id);
        a->set("name", type + " artifact " + std::to_string(j + 1));
        a->set("label", dice.chance(80) ? "event" : "alert");
        a->set("type", type);
        a->set("description", "");
        a->set("severity", dice.pick(kSeverities));
        a->set("source_data_identifier", sdi + "-" + std::to_string(j + 1));
        a->set("external_id", Var());
        Object::Ptr adata = new Object;
        adata->set("seq", j + 1);
        a->set("data", adata);
        a->set("tags", strings(dice.chance(25) ? std::vector<std::string>{dice.pick(kTags)}
                                               : std::vector<std::string>{}));
        a->set("kill_chain", Var());
        a->set("owner", Var());
        a->set("ingest_app", Var());
        a->set("playbook_run", Var());
        a->set("parent_artifact", Var());
        a->set("parent_container", Var());
        a->set("in_case", false);
        a->set("has_note", false);
        a->set("version", 1);
        const std::string ts = formatTimestamp(t);
        a->set("create_time", ts);
        a->set("update_time", ts);
        a->set("start_time", ts);
        a->set("end_time", Var());
        const std::string hash =
            contentHash(*a, {"name", "label", "type", "severity", "cef", "cef_types", "data",
                             "tags", "source_data_identifier"});
        a->set("hash", hash);
        const std::int64_t aid = artifacts_.insert(a);
        artifact_hashes_[id].emplace(hash, aid);
        container_artifacts_[id].insert(aid);
        artifact_update = ts;
        last = std::max(last, t);
    }
    row->set("artifact_update_time", artifact_update);
    row->set("artifact_count", options.artifacts);
    row->set("hash", contentHash(*row, {"name", "label", "description", "source_data_identifier",
                                        "data", "custom_fields", "tags"}));
    containers_.rows.replace(id, row);  // refresh the columns after the late fields
    last = std::max(last, created + 1000);

    for (std::int64_t k = 0; k < options.notes; ++k) {
        const Micros t = options.coarse_time ? created : created + kNoteDelay + 2 * k;
        const std::string ts = formatTimestamp(t);
        Ptr note = new Object;
        note->set("container", id);
        note->set("artifact", Var());
        note->set("title", note_dice.pick(kNoteTitles));
        note->set("content", fill(note_dice.pick(kNoteTexts), note_dice, i + 1));
        note->set("note_type", "general");
        note->set("note_format", "markdown");
        note->set("author", 1);
        note->set("create_time", ts);
        note->set("modified_time", ts);
        note->set("version", 1);
        note->set("phase", Var());
        note->set("task", Var());
        notes_.insert(note);

        const Micros ct = options.coarse_time ? created : t + 1;
        Ptr comment = new Object;
        comment->set("container", id);
        comment->set("comment", fill(note_dice.pick(kComments), note_dice, i + 1));
        comment->set("user", 1);
        comment->set("time", formatTimestamp(ct));
        comments_.insert(comment);
        last = std::max(last, ct);
    }
    return last;
}

}  // namespace soar::emulator
