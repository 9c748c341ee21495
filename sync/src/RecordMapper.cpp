#include "soar/sync/RecordMapper.h"

#include "soar/client/JsonText.h"
#include "soar/client/JsonTree.h"

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <array>
#include <string_view>

namespace soar::sync {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

std::int64_t idOf(const Poco::Dynamic::Var& id) {
    if (id.isEmpty()) return 0;
    return id.isString() ? std::stoll(id.toString()) : id.convert<std::int64_t>();
}

std::int64_t idOf(const Object& source) { return idOf(source.get("id")); }

/// Copies `key` when the source has it and it is not null.
void copyIfSet(const Object& from, Object& to, const std::string& key) {
    if (!from.has(key) || from.isNull(key)) return;
    to.set(key, from.get(key));
}

/// A JSON object field, or a new empty object when it is missing, null or not an object.
/// A deep copy: the mapped body must not share nodes with the source record, which the
/// caller may keep and reuse.
Object::Ptr objectOrEmpty(const Object& from, const std::string& key) {
    if (from.has(key) && !from.isNull(key) && from.isObject(key)) {
        return deepCopy(*from.getObject(key));
    }
    return new Object;
}

/// The texts of a value that is an array (its null items left out) or one value; none for
/// null or missing.
std::vector<std::string> stringList(const Poco::Dynamic::Var* value) {
    std::vector<std::string> out;
    if (value == nullptr || value->isEmpty()) return out;
    const auto add = [&out](const Array& array) {
        for (std::size_t i = 0; i < array.size(); ++i) {
            if (!array.isNull(static_cast<unsigned>(i))) {
                out.push_back(array.get(static_cast<unsigned>(i)).toString());
            }
        }
    };
    if (value->type() == typeid(Array::Ptr)) {
        if (const auto& array = value->extract<Array::Ptr>()) add(*array);
    } else if (value->type() == typeid(Array)) {
        add(value->extract<Array>());
    } else {
        out.push_back(value->toString());
    }
    return out;
}

std::vector<std::string> stringList(const Object& from, const std::string& key) {
    if (!from.has(key)) return {};
    const auto value = from.get(key);
    return stringList(&value);
}

Array::Ptr toArray(const std::vector<std::string>& values) {
    Array::Ptr array = new Array;
    for (const auto& v : values) array->add(v);
    return array;
}

}  // namespace

Poco::Dynamic::Var deepCopy(const Poco::Dynamic::Var& value) {
    if (value.type() == typeid(Object::Ptr)) {
        const auto object = value.extract<Object::Ptr>();
        return object ? Poco::Dynamic::Var(deepCopy(*object)) : value;
    }
    if (value.type() == typeid(Array::Ptr)) {
        const auto array = value.extract<Array::Ptr>();
        if (!array) return value;
        Array::Ptr copy = new Array;
        for (const auto& item : *array) copy->add(deepCopy(item));
        return copy;
    }
    if (value.type() == typeid(Object)) return deepCopy(value.extract<Object>());
    if (value.type() == typeid(Array)) {
        Array::Ptr copy = new Array;
        for (const auto& item : value.extract<Array>()) copy->add(deepCopy(item));
        return copy;
    }
    return value;
}

Object::Ptr deepCopy(const Object& from) {
    Object::Ptr copy = new Object;
    for (const auto& [key, value] : from) copy->set(key, deepCopy(value));
    return copy;
}

RecordMapper::RecordMapper(MappingRules rules) : rules_(std::move(rules)) {}

std::string RecordMapper::containerSdi(std::int64_t source_id, std::int64_t generation) const {
    std::string sdi = "soar-sync:" + rules_.source_instance + ":" + std::to_string(source_id);
    if (generation > 1) sdi += ":" + std::to_string(generation);
    return sdi;
}

std::string RecordMapper::artifactSdi(std::int64_t source_id) const {
    return "soar-sync:" + rules_.source_instance + ":artifact:" + std::to_string(source_id);
}

Object::Ptr RecordMapper::container(const Object& source) const {
    Object::Ptr out = new Object;
    for (const char* key : {"name", "severity", "status", "sensitivity", "start_time", "end_time",
                            "due_time", "kill_chain", "container_type"}) {
        copyIfSet(source, *out, key);
    }
    out->set("description", source.has("description") && !source.isNull("description")
                                ? source.get("description").toString()
                                : std::string());
    if (source.has("label") && !source.isNull("label")) {
        const auto label = source.get("label").toString();
        const auto mapped = rules_.label_map.find(label);
        out->set("label", mapped == rules_.label_map.end() ? label : mapped->second);
    }
    auto tags = stringList(source, "tags");
    for (const auto& tag : rules_.add_tags) {
        if (std::find(tags.begin(), tags.end(), tag) == tags.end()) tags.push_back(tag);
    }
    out->set("tags", toArray(tags));
    if (rules_.custom_fields) out->set("custom_fields", objectOrEmpty(source, "custom_fields"));

    const auto source_id = idOf(source);
    auto data = objectOrEmpty(source, "data");
    Object::Ptr origin = new Object;
    origin->set("instance", rules_.source_instance);
    origin->set("id", source_id);
    if (source.has("source_data_identifier") && !source.isNull("source_data_identifier")) {
        origin->set("source_data_identifier", source.get("source_data_identifier").toString());
    }
    data->set("soar_sync", origin);
    out->set("data", data);
    out->set("source_data_identifier", containerSdi(source_id));
    out->set("run_automation", false);
    return out;
}

namespace {

/// The members artifactText() reads, in ascending order: one walk of the source's sorted
/// members finds them.
constexpr std::array<std::string_view, 13> kArtifactRead = {
    "cef",   "cef_types", "data",     "description", "end_time", "id",  "kill_chain",
    "label", "name",      "severity", "start_time",  "tags",     "type"};

}  // namespace

std::vector<std::string> RecordMapper::artifactMembers() {
    return {kArtifactRead.begin(), kArtifactRead.end()};
}

std::string RecordMapper::artifactText(const Object& source) const {
    enum : std::size_t {
        Cef,
        CefTypes,
        Data,
        Description,
        EndTime,
        Id,
        KillChain,
        Label,
        Name,
        Severity,
        StartTime,
        Tags,
        Type
    };
    std::array<const Poco::Dynamic::Var*, kArtifactRead.size()> at{};
    std::size_t want = 0;
    for (auto it = source.begin(); it != source.end() && want < kArtifactRead.size(); ++it) {
        const std::string_view name = it->first;
        while (want < kArtifactRead.size() && kArtifactRead[want] < name) ++want;
        if (want < kArtifactRead.size() && kArtifactRead[want] == name) at[want++] = &it->second;
    }

    // Members in ascending key order, as Poco writes an object: the text is the one jsonText()
    // gives the same record built as an object (artifact()), so both hash alike.
    std::string out;
    out.reserve(512);
    const auto key = [&out](std::string_view name) {
        out.push_back(out.empty() ? '{' : ',');
        appendJsonString(out, name);
        out.push_back(':');
    };
    // A source member as it is; null or missing: left out.
    const auto copy = [&](std::size_t i) {
        if (at[i] == nullptr || at[i]->isEmpty()) return;
        key(kArtifactRead[i]);
        appendJson(out, *at[i]);
    };
    // cef, cef_types and data go whole; missing, null or not an object: {}.
    const auto whole = [&](std::size_t i) {
        key(kArtifactRead[i]);
        const auto& type = at[i] == nullptr ? typeid(void) : at[i]->type();
        if (type == typeid(Object::Ptr) || type == typeid(Object) ||
            (type == typeid(JsonFragment) &&
             at[i]->extract<JsonFragment>().text.rfind('{', 0) == 0)) {
            appendJson(out, *at[i]);
        } else {
            out.append("{}");
        }
    };
    whole(Cef);
    whole(CefTypes);
    whole(Data);
    for (const auto i : {Description, EndTime, KillChain, Label, Name, Severity}) copy(i);
    key("source_data_identifier");
    appendJsonString(out, artifactSdi(at[Id] == nullptr ? 0 : idOf(*at[Id])));
    copy(StartTime);
    key("tags");
    out.push_back('[');
    bool first_tag = true;
    for (const auto& tag : stringList(at[Tags])) {
        if (!first_tag) out.push_back(',');
        first_tag = false;
        appendJsonString(out, tag);
    }
    out.push_back(']');
    copy(Type);
    out.push_back('}');
    return out;
}

std::string RecordMapper::artifactBody(const std::string& text,
                                       std::optional<std::int64_t> target_container_id) {
    // `text` is a non-empty object: the members go on before its closing brace.
    std::string body;
    body.reserve(text.size() + 64);
    body.append(text, 0, text.size() - 1);
    if (target_container_id) {
        body.append(",\"container_id\":").append(std::to_string(*target_container_id));
    }
    body.append(",\"run_automation\":false}");
    return body;
}

Object::Ptr RecordMapper::artifact(const Object& source, std::int64_t target_container_id) const {
    return parseJson(artifactBody(artifactText(source), target_container_id))
        .extract<Object::Ptr>();
}

std::string RecordMapper::noteMarker(bool comment, std::int64_t source_id) const {
    return "[soar-sync:" + rules_.source_instance + (comment ? ":comment:" : ":note:") +
           std::to_string(source_id) + "]";
}

bool RecordMapper::markedBy(const std::string& instance, const std::string& text) {
    return text.find("[soar-sync:" + instance + ":") != std::string::npos;
}

std::int64_t RecordMapper::markedSourceId(bool comment, const std::string& text) const {
    const std::string prefix =
        "[soar-sync:" + rules_.source_instance + (comment ? ":comment:" : ":note:");
    const auto at = text.rfind(prefix);
    if (at == std::string::npos) return -1;
    std::int64_t id = 0;
    std::size_t i = at + prefix.size();
    bool digits = false;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
        id = id * 10 + (text[i] - '0');
        digits = true;
    }
    return digits && i < text.size() && text[i] == ']' ? id : -1;
}

namespace {

/// Who wrote a note or comment on the source: its user name when SOAR gives one, else the
/// user id (ids mean nothing on the target, so they travel as text).
std::string authorOf(const Object& source, const char* id_key) {
    for (const char* key : {"author_name", "user_name", "owner_name"}) {
        if (source.has(key) && !source.isNull(key)) return source.get(key).toString();
    }
    if (source.has(id_key) && !source.isNull(id_key)) {
        return "user " + source.get(id_key).toString();
    }
    return "an unknown user";
}

std::string textOf(const Object& source, const char* key) {
    return source.has(key) && !source.isNull(key) ? source.get(key).toString() : std::string();
}

}  // namespace

Object::Ptr RecordMapper::note(const Object& source, std::int64_t target_container_id) const {
    Object::Ptr out = new Object;
    out->set("container_id", target_container_id);
    out->set("title", textOf(source, "title"));
    const auto type = textOf(source, "note_type");
    out->set("note_type", type.empty() ? std::string("general") : type);
    const auto format = textOf(source, "note_format");
    out->set("note_format", format.empty() ? std::string("markdown") : format);
    out->set("content", textOf(source, "content") + copiedLine(false, source));
    return out;
}

Object::Ptr RecordMapper::comment(const Object& source, std::int64_t target_container_id) const {
    Object::Ptr out = new Object;
    out->set("container_id", target_container_id);
    out->set("comment", textOf(source, "comment") + copiedLine(true, source));
    return out;
}

std::string RecordMapper::copiedLine(bool comment, const Object& source) const {
    const auto id = idOf(source);
    return "\n\n" + noteMarker(comment, id) + " copied from " + rules_.source_instance +
           (comment ? " comment " : " note ") + std::to_string(id) + " by " +
           authorOf(source, comment ? "user" : "author") + " at " +
           textOf(source, comment ? "time" : "create_time");
}

std::string RecordMapper::contentHash(const Object& mapped) {
    // Poco's default Object keeps its keys sorted, so the condensed text is canonical.
    return jsonSha256(mapped, {"container_id", "run_automation"});
}

}  // namespace soar::sync
