#pragma once

/// What a target should hold for a source record: the field mapping of design.md §5
/// ("Map each container to what the target should hold") and the content hash the route
/// engine diffs by.
///
/// Containers keep name, label (through `label_map`), severity, status, sensitivity,
/// description, tags plus `add_tags`, custom fields, data and start/end/due times. Their
/// `source_data_identifier` becomes `soar-sync:<source instance>:<source id>` (the key a
/// target dedups by), and the source's own sdi, id and instance are kept in
/// `data.soar_sync`. Ids that mean nothing on the target (owner, role, asset, tenant) are
/// dropped. Artifacts keep name, label, severity, cef, cef_types, type, tags and data, get
/// `soar-sync:<source instance>:artifact:<source id>` and always `run_automation: false`.
///
/// Pure functions of their input: thread-safe, no I/O.

#include <Poco/JSON/Object.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace soar::sync {

struct MappingRules {
    /// The source instance's name in the config (`[instance.<name>]`).
    std::string source_instance;
    /// Source label -> target label; labels not listed pass unchanged.
    std::map<std::string, std::string> label_map;
    /// Tags added to every copied container.
    std::vector<std::string> add_tags;
    /// Copy `custom_fields`.
    bool custom_fields = true;
};

/// A JSON value with its objects and arrays copied (scalars are values already), so that the
/// copy shares no node with `value`.
[[nodiscard]] Poco::Dynamic::Var deepCopy(const Poco::Dynamic::Var& value);
[[nodiscard]] Poco::JSON::Object::Ptr deepCopy(const Poco::JSON::Object& from);

class RecordMapper {
public:
    explicit RecordMapper(MappingRules rules);

    /// The body to create or update the target's copy of a source container (no id).
    [[nodiscard]] Poco::JSON::Object::Ptr container(const Poco::JSON::Object& source) const;
    /// The JSON text of the target's copy of a source artifact, without `container_id` and
    /// `run_automation`, written straight from the source record: compact, members in key
    /// order, byte for byte what jsonText() writes for artifact() without those two. Its
    /// SHA-256 (sha256Hex) is the artifact's content hash, equal to contentHash(artifact()).
    /// `cef`, `cef_types` and `data` may be objects or their text (a JsonFragment, as a
    /// RecordShape with objects_as_text reads them).
    [[nodiscard]] std::string artifactText(const Poco::JSON::Object& source) const;
    /// The members of a source artifact that artifactText() reads, in ascending order.
    [[nodiscard]] static std::vector<std::string> artifactMembers();
    /// The body to create a copy from an artifactText(): with `run_automation` false and, when
    /// given, `target_container_id` (none: the artifact goes inside its container's create).
    [[nodiscard]] static std::string artifactBody(const std::string& text,
                                                  std::optional<std::int64_t> target_container_id);
    /// The same as an object, in `target_container_id`, with `run_automation` false.
    [[nodiscard]] Poco::JSON::Object::Ptr artifact(const Poco::JSON::Object& source,
                                                   std::int64_t target_container_id) const;

    /// The body for the target's copy of a source note: title, type and format kept; the
    /// content gains a last line naming the source note, its author and time, with the marker
    /// (noteMarker) by which a copy is found again (SOAR has no sdi on notes).
    [[nodiscard]] Poco::JSON::Object::Ptr note(const Poco::JSON::Object& source,
                                               std::int64_t target_container_id) const;
    /// The body for the copy of a source comment, with the same kind of last line.
    [[nodiscard]] Poco::JSON::Object::Ptr comment(const Poco::JSON::Object& source,
                                                  std::int64_t target_container_id) const;
    /// `[soar-sync:<source instance>:note:<id>]` (or `:comment:`).
    [[nodiscard]] std::string noteMarker(bool comment, std::int64_t source_id) const;
    /// Whether a text carries a marker soar-sync wrote naming `instance` (any kind:
    /// `[soar-sync:<instance>:...`); `result` matches playbook reports (ResultReporter).
    [[nodiscard]] static bool markedBy(const std::string& instance, const std::string& text);
    /// The source id in a text carrying this instance's marker of that kind, or -1.
    [[nodiscard]] std::int64_t markedSourceId(bool comment, const std::string& text) const;

    /// `generation` > 1: a later container of a reused source id (after the first was found
    /// deleted), which gets its own copy: "soar-sync:<source>:<id>:<generation>".
    [[nodiscard]] std::string containerSdi(std::int64_t source_id,
                                           std::int64_t generation = 1) const;
    [[nodiscard]] std::string artifactSdi(std::int64_t source_id) const;
    [[nodiscard]] const MappingRules& rules() const { return rules_; }

    /// SHA-256 (hex) of a mapped body's content, ignoring fields that depend on where the
    /// copy lives (`container_id`) or on how it is written (`run_automation`): equal hashes
    /// mean the target already holds this content.
    [[nodiscard]] static std::string contentHash(const Poco::JSON::Object& mapped);

private:
    /// The last line of a copied note or comment: its marker, then where, by whom and when
    /// it was written on the source.
    [[nodiscard]] std::string copiedLine(bool comment, const Poco::JSON::Object& source) const;

    MappingRules rules_;
};

}  // namespace soar::sync
