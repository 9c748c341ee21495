#pragma once

/// NoteReplayer: notes and comments onto a container's copy. A note is written when its
/// content hash changed; a comment once (SOAR's comments are append-only). Without a stored
/// mapping, a copy is first looked for by the marker soar-sync writes into its text (SOAR
/// deduplicates neither), unless soar-sync just created the container. A refused one is
/// dead-lettered; a 404 on update means the target lost it, so it is copied again. With
/// files, a note's references to them (`attachments`) name the files' copies.
///
/// Thread safety: one object per container replay.

#include "PassScope.h"

#include <Poco/JSON/Array.h>

#include <map>
#include <optional>
#include <utility>

namespace soar::sync {

class NoteReplayer {
public:
    /// `fresh`: the container copy was just created (no copies to look for).
    NoteReplayer(PassScope& pass, std::int64_t source_container, std::int64_t target_container,
                 bool fresh, Replayed& out);

    /// Copies every note and comment of the container (one new to the target, or forced).
    void all();
    /// Copies one note or comment met in its own stream; `known` is its stored mapping. A
    /// workbook task's note is left to its task.
    void one(const SourceItem& item, const std::optional<state::NoteMapping>& known);

private:
    void replay(const SourceItem& item, const std::optional<state::NoteMapping>& known);
    /// A note's references to files (`attachments`: source attachment ids) as the ids of the
    /// files' copies on the target; nullptr when it has none.
    [[nodiscard]] Poco::JSON::Array::Ptr fileReferences(const Poco::JSON::Object& note) const;
    /// Target note and comment ids by (is comment, source id), from the copies' markers.
    const std::map<std::pair<bool, std::int64_t>, std::int64_t>& copies();

    PassScope& pass_;
    std::int64_t source_container_;
    std::int64_t target_container_;
    bool fresh_;
    Replayed& out_;
    std::optional<std::map<std::pair<bool, std::int64_t>, std::int64_t>> copies_;
};

}  // namespace soar::sync
