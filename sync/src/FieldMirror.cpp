#include "FieldMirror.h"

#include "soar/client/Timestamp.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>

namespace soar::sync {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

std::string textOf(const Object& body, const char* key) {
    if (!body.has(key) || body.isNull(key)) return {};
    return body.get(key).toString();
}

std::set<std::string> tagSet(const std::string& encoded) {
    std::set<std::string> out;
    if (encoded.empty()) return out;
    const auto array = Poco::JSON::Parser().parse(encoded).extract<Array::Ptr>();
    for (const auto& tag : *array) out.insert(tag.toString());
    return out;
}

std::string tagText(const std::set<std::string>& tags) {
    Array array;
    for (const auto& tag : tags) array.add(tag);
    std::ostringstream out;
    array.stringify(out);
    return out.str();
}

}  // namespace

bool FieldMirror::targetWins(ConflictRule rule, const std::optional<std::string>& source_time,
                             const std::optional<std::string>& target_time) {
    if (rule != ConflictRule::Newest) return rule == ConflictRule::Target;
    const auto s = Timestamp::parse(source_time.value_or(""));
    const auto t = Timestamp::parse(target_time.value_or(""));
    return t && (!s || *s < *t);
}

FieldMirror::FieldMirror(const RouteConfig& route, std::string target_name, MirrorSide& source,
                         MirrorSide& target, Poco::Logger& logger)
    : route_(route),
      target_name_(std::move(target_name)),
      source_(source),
      target_(target),
      logger_(logger) {
    const auto& m = route.mirror_back;
    if (m.status) fields_.emplace_back("status");
    if (m.severity) fields_.emplace_back("severity");
    if (m.sensitivity) fields_.emplace_back("sensitivity");
    if (m.owner) fields_.emplace_back("owner");
    if (m.tags) fields_.emplace_back("tags");
}

std::vector<std::string> FieldMirror::bodyKeys() const {
    std::vector<std::string> keys;
    for (const auto& field : fields_) keys.push_back(field == "owner" ? "owner_id" : field);
    return keys;
}

FieldMirror::Fields FieldMirror::read(const Object& body) const {
    Fields out;
    for (const auto& field : fields_) {
        if (field == "owner") {
            const char* key = body.has("owner") ? "owner" : "owner_id";
            const auto id = body.has(key) ? parseId(body.get(key)) : std::nullopt;
            out[field] = id && *id > 0 ? std::to_string(*id) : std::string();
        } else if (field == "tags") {
            std::set<std::string> tags;
            if (const auto array = body.getArray("tags")) {
                for (const auto& tag : *array) {
                    if (!tag.isEmpty()) tags.insert(tag.toString());
                }
            }
            out[field] = tagText(tags);
        } else {
            out[field] = lower(textOf(body, field.c_str()));
        }
    }
    return out;
}

std::string FieldMirror::encode(const Fields& fields) {
    Object object;
    for (const auto& [key, value] : fields) object.set(key, value);
    std::ostringstream out;
    object.stringify(out);
    return out.str();
}

FieldMirror::Fields FieldMirror::decode(const std::string& text) {
    Fields out;
    if (text.empty()) return out;
    const auto object = Poco::JSON::Parser().parse(text).extract<Object::Ptr>();
    for (const auto& [key, value] : *object) out[key] = value.toString();
    return out;
}

const std::vector<StatusInfo>& FieldMirror::statusesOf(Side side) {
    const auto index = side == Side::Source ? 0 : 1;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (statuses_[index]) return *statuses_[index];
    }
    auto read = (side == Side::Source ? source_ : target_).statuses();
    for (auto& s : read) s.name = lower(s.name);
    std::lock_guard<std::mutex> lock(mutex_);
    if (!statuses_[index]) statuses_[index] = std::move(read);
    return *statuses_[index];
}

std::optional<std::string> FieldMirror::convertStatus(const std::string& status, Side from,
                                                      const std::string& current) {
    const auto& to = statusesOf(from == Side::Source ? Side::Target : Side::Source);
    const auto named = [&](const std::string& name) {
        return std::find_if(to.begin(), to.end(),
                            [&](const StatusInfo& s) { return s.name == name; }) != to.end();
    };
    if (named(status)) return status;
    const auto& of = statusesOf(from);
    const auto found =
        std::find_if(of.begin(), of.end(), [&](const StatusInfo& s) { return s.name == status; });
    // A status its own side does not list: written as it is (the other side answers).
    if (found == of.end() || found->type.empty()) return status;
    const auto& type = found->type;
    // The other side holds a status of that meaning already: it stays.
    for (const auto& s : to) {
        if (s.name == current && s.type == type) return current;
    }
    // new, open and closed are always accepted, whatever the instance lists.
    if (type == "resolved") return std::string("closed");
    if (type == "new" || type == "open") return type;
    for (const auto& s : to) {
        if (s.type == type) return s.name;
    }
    return status;
}

std::optional<std::string> FieldMirror::convertOwner(const std::string& owner, Side from) {
    if (owner.empty()) return std::string();
    auto& reader = from == Side::Source ? source_ : target_;
    auto& writer = from == Side::Source ? target_ : source_;
    const auto name = reader.userName(std::stoll(owner));
    if (!name) return std::nullopt;
    const auto id = writer.userId(*name);
    if (!id) return std::nullopt;
    return std::to_string(*id);
}

std::optional<std::string> FieldMirror::convert(const std::string& field, const std::string& value,
                                                Side from, const std::string& current) {
    if (field == "status") return convertStatus(value, from, current);
    if (field == "owner") return convertOwner(value, from);
    if (field == "tags") {
        auto tags = tagSet(value);
        for (const auto& added : route_.add_tags) {
            if (from == Side::Source) {
                tags.insert(added);
            } else {
                tags.erase(added);
            }
        }
        return tagText(tags);
    }
    return value;
}

void FieldMirror::mapForCreate(Object& body) {
    if (!route_.mirror_back.status || !body.has("status") || body.isNull("status")) return;
    if (const auto status =
            convertStatus(lower(body.get("status").toString()), Side::Source, std::string())) {
        body.set("status", *status);
    }
}

void FieldMirror::put(Object& body, const std::string& field, const std::string& value) const {
    if (field == "owner") {
        if (value.empty()) {
            body.set("owner_id", Poco::Dynamic::Var());
        } else {
            body.set("owner_id", std::stoll(value));
        }
    } else if (field == "tags") {
        Array::Ptr tags = new Array;
        for (const auto& tag : tagSet(value)) tags->add(tag);
        body.set("tags", tags);
    } else {
        body.set(field, value);
    }
}

FieldMirror::Settled FieldMirror::settle(const SourceContainer& source, const SourceContainer& copy,
                                         const std::optional<state::MirrorState>& base) {
    auto s = read(*source.body);
    auto t = read(*copy.body);
    const auto base_s = base ? decode(base->source_fields) : Fields();
    const auto base_t = base ? decode(base->target_fields) : Fields();
    Object to_source;
    Object to_target;
    Settled out;
    const bool target_wins = targetWins(route_.conflict, source.update_time, copy.update_time);
    for (const auto& field : fields_) {
        const auto bs = base_s.find(field);
        const auto bt = base_t.find(field);
        const bool s_changed = bs == base_s.end() || bs->second != s[field];
        const bool t_changed = bt != base_t.end() && bt->second != t[field];
        if (!s_changed && !t_changed) continue;
        const auto s_as_t = convert(field, s[field], Side::Source, t[field]);
        const auto t_as_s = convert(field, t[field], Side::Target, s[field]);
        bool source_wins = s_changed;
        if (s_changed && t_changed) {
            if (s_as_t && *s_as_t == t[field]) continue;  // both made the same change
            source_wins = !target_wins;
            ++(source_wins ? out.conflicts_source_won : out.conflicts_target_won);
            const auto& lost = source_wins ? t[field] : s[field];
            poco_information(
                logger_,
                "route " + route_.name + " -> " + target_name_ + ": container " +
                    std::to_string(source.id) + " (copy " + std::to_string(copy.id) + "): " +
                    field + " changed on both sides since the last sync (" + route_.source + " '" +
                    s[field] + "' at " + source.update_time.value_or("?") + ", " + target_name_ +
                    " '" + t[field] + "' at " + copy.update_time.value_or("?") + "); conflict = " +
                    (route_.conflict == ConflictRule::Newest   ? "newest"
                     : route_.conflict == ConflictRule::Source ? "source"
                                                               : "target") +
                    " keeps " + (source_wins ? route_.source : target_name_) +
                    "'s; the value lost is '" + lost + "'");
        }
        if (source_wins) {
            if (s_as_t && *s_as_t != t[field]) {
                put(to_target, field, *s_as_t);
                t[field] = *s_as_t;
            }
        } else if (t_as_s && *t_as_s != s[field]) {
            put(to_source, field, *t_as_s);
            s[field] = *t_as_s;
        }
    }
    if (to_target.size() > 0) target_.writeContainer(copy.id, to_target);
    if (to_source.size() > 0) source_.writeContainer(source.id, to_source);
    out.to_source = static_cast<int>(to_source.size());
    out.to_target = static_cast<int>(to_target.size());
    out.state = {source.id, encode(s), encode(t)};
    return out;
}

}  // namespace soar::sync
