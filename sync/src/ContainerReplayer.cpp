#include "ContainerReplayer.h"

#include "ArtifactReplayer.h"
#include "AttachmentReplayer.h"
#include "FieldMirror.h"
#include "NoteReplayer.h"
#include "WorkbookReplayer.h"
#include "soar/client/Errors.h"

#include <Poco/Logger.h>

namespace soar::sync {

using state::RecordKind;

ContainerReplayer::ContainerReplayer(PassScope& pass, ArtifactPrefetcher& prefetched,
                                     PoisonTracker& poison)
    : pass_(pass), prefetched_(prefetched), poison_(poison) {}

Replayed ContainerReplayer::replay(const SourceContainer& source, const StoredCopy* stored) {
    if (source.unreadable) return unreadable(RecordKind::Container, source.id, *source.unreadable);
    try {
        StoredCopy now;
        if (!stored) {
            now.mapping = pass_.store.containerMapping(pass_.key, source.id);
            if (!now.mapping) now.tombstones = pass_.store.tombstonesOf(pass_.key, source.id);
        }
        Replayed out = write(source, stored ? *stored : now);
        poison_.succeeded(source.id, out.wrote(), pass_.started_at);
        return out;
    } catch (const UnreadablePage& e) {
        // An artifact, note or comment of it cannot be read from the source.
        return unreadable(RecordKind::Container, source.id, e.what());
    } catch (const TransientError& e) {
        if (e.httpStatus() != 500) throw;
        const auto original = std::current_exception();
        const auto strikes = poison_.struck(source.id, pass_.started_at, pass_.target);
        if (!strikes) std::rethrow_exception(original);
        Replayed out;
        out.unit.key = pass_.key;
        out.refuse(pass_, RecordKind::Container, source.id,
                   "the target answered 500 to this container in " + std::to_string(*strikes) +
                       " passes in a row: " + e.what());
        return out;
    }
}

Replayed ContainerReplayer::write(const SourceContainer& source, const StoredCopy& stored) {
    const auto& mapping = stored.mapping;
    const auto source_id = source.id;
    Replayed out;
    out.unit.key = pass_.key;
    auto mapped = pass_.mapper.container(*source.body);
    // A source id whose earlier container was found deleted (a restore reusing ids) is a new
    // container: its copy gets an sdi of its own, never the old copy's.
    const std::int64_t generation = mapping ? mapping->generation : stored.tombstones + 1;
    if (generation > 1) {
        mapped->set("source_data_identifier", pass_.mapper.containerSdi(source_id, generation));
    }
    if (pass_.owners) {
        bool unmatched = false;
        const auto owner = pass_.owners->targetOwner(*source.body, pass_.source, pass_.target,
                                                     pass_.where(), unmatched);
        if (owner) mapped->set("owner_id", *owner);
        if (unmatched) ++out.counts.owners_unmatched;
    }
    // A two-way route settles its mirrored fields three ways (FieldMirror) instead of
    // overwriting them: the hash covers the rest, which flows one way.
    FieldMirror* const mirror = pass_.fields;
    Poco::JSON::Object::Ptr one_way = mapped;
    if (mirror) {
        mirror->mapForCreate(*mapped);
        one_way = new Poco::JSON::Object(*mapped);
        for (const auto& key : mirror->bodyKeys()) one_way->remove(key);
    }
    const auto hash = RecordMapper::contentHash(*one_way);

    std::int64_t target_id = 0;
    bool fresh = false;    // soar-sync made this container now: no copies to look for
    bool adopted = false;  // it was on the target already, unknown to the state file
    bool written = false;  // the container's mapping must be (re)stored
    bool whole = false;    // the target got the whole body, mirrored fields too
    // A container new to the target takes its artifacts read ahead along in its create.
    std::optional<std::vector<SourceItem>> artifacts;
    ArtifactReplayer::Embedded embedded;
    if (!mapping && pass_.route.artifacts) {
        artifacts = prefetched_.take(source_id);
        if (artifacts && pass_.embed && pass_.embed->on()) {
            embedded.sent = ArtifactReplayer::embed(pass_, *artifacts, *mapped);
        }
    }
    try {
        if (!mapping) {
            const auto created = create(*mapped, embedded);
            target_id = created.id;
            whole = true;
            if (created.existed) {
                // Written before the state file knew (a crash, a lost file): bring the copy up
                // to date rather than trusting it.
                pass_.target.updateContainer(target_id, *mapped);
                ++out.counts.containers_updated;
                adopted = true;
            } else {
                fresh = true;
                ++out.counts.containers_created;
            }
            written = true;
        } else if (pass_.force || mapping->content_hash != hash) {
            target_id = mapping->target_id;
            try {
                pass_.target.updateContainer(target_id, *one_way);
                ++out.counts.containers_updated;
            } catch (const RecordError& e) {
                if (e.httpStatus() != 404) throw;
                // The target lost its copy: make a new one (and new artifact copies).
                const auto created = pass_.target.createContainer(*mapped);
                target_id = created.id;
                poco_warning(pass_.logger,
                             pass_.where() + "copy " + std::to_string(mapping->target_id) +
                                 " of source container " + std::to_string(source_id) +
                                 " is gone from " + pass_.key.target + "; made again as " +
                                 std::to_string(target_id) +
                                 " (a deletion on the target is not mirrored to the source)");
                fresh = !created.existed;
                whole = true;
                ++out.counts.containers_created;
            }
            written = true;
        } else {
            target_id = mapping->target_id;
            ++out.counts.containers_unchanged;
        }
    } catch (const RecordError& e) {
        prefetched_.drop(source_id);
        out.refuse(pass_, RecordKind::Container, source_id, refusalMessage(e));
        return out;
    }

    if (mirror) {
        try {
            settle(source, target_id, whole, *mapped, out);
        } catch (const RecordError& e) {
            out.refuse(pass_, RecordKind::Container, source_id, refusalMessage(e));
        }
    }

    auto artifact_update_time = source.artifact_update_time;
    const auto stored_artifact_time =
        mapping ? mapping->artifact_update_time : std::optional<std::string>();
    const bool artifacts_due =
        pass_.route.artifacts && (pass_.force || fresh || written || !mapping ||
                                  stored_artifact_time != artifact_update_time);
    if (artifacts_due) {
        // When the create's answer does not say what became of the artifacts it carried, they
        // are looked for like any others.
        const bool known = embedded.sent.empty() || embedded.results || !embedded.maybe_made;
        const auto refused = std::move(embedded.refused);
        ArtifactReplayer replayer(pass_, source_id, target_id, fresh && known, out);
        if (!artifacts) artifacts = prefetched_.take(source_id);
        const bool artifacts_ok = replayer.run(std::move(artifacts), std::move(embedded));
        // Refused with its artifacts, taken without them, and they were taken after: it was
        // their being inside the create that the target refused.
        if (refused && artifacts_ok && pass_.embed->refused()) {
            poco_warning(pass_.logger,
                         pass_.where() + pass_.key.target +
                             " refused containers created with their artifacts inside, then "
                             "took the same containers and artifacts apart, three times in a "
                             "row (last: " +
                             *refused +
                             "); new containers' artifacts follow their create from now on");
        }
        if (!artifacts_ok) {
            // Some artifact was refused: keep the old artifact time so the container's
            // artifacts are read again when it next shows up (and retry-dead re-drives).
            artifact_update_time = stored_artifact_time;
        }
        written =
            written || !out.unit.artifacts.empty() || artifact_update_time != stored_artifact_time;
    } else {
        prefetched_.drop(source_id);
    }
    // A container new to the target brings its files, notes and comments; later ones come
    // through their own streams. Files first: notes may reference them.
    if (pass_.route.attachments && (pass_.force || fresh || adopted || !mapping)) {
        AttachmentReplayer(pass_, source_id, target_id, fresh, out).all();
    }
    if (pass_.route.workbooks && (pass_.force || fresh || adopted || !mapping) &&
        source.body->optValue<std::string>("container_type", "") == "case") {
        WorkbookReplayer(pass_, source_id, target_id, fresh, out).all();
    }
    if (pass_.route.notes && (pass_.force || fresh || adopted || !mapping)) {
        NoteReplayer(pass_, source_id, target_id, fresh, out).all();
    }
    if (auto* playbooks = pass_.options.playbooks) {
        const auto& config = playbooks->config();
        if ((fresh || adopted) && config.on_create) {
            out.trigger = playbooks->intend(source_id, target_id, state::TriggerKind::Create,
                                            "create:" + std::to_string(source_id), adopted);
        } else if (mapping && written && !fresh && config.on_update &&
                   mapping->content_hash != hash) {
            out.trigger =
                playbooks->intend(source_id, target_id, state::TriggerKind::Update,
                                  "update:" + std::to_string(source_id) + ":" + hash.substr(0, 16));
        }
        if (out.trigger) out.unit.playbook_intents.push_back(out.trigger->intent);
    }
    // An edit that changed nothing soar-sync copies still moves the stored timestamps, so that
    // the container is not replayed again for it.
    const bool times_moved = mapping && (mapping->create_time != source.create_time ||
                                         mapping->container_update_time != source.update_time);
    if (written || times_moved) {
        out.unit.containers.push_back({source_id, target_id, hash, source.create_time,
                                       source.update_time, artifact_update_time, generation});
        out.resolve(pass_, RecordKind::Container, source_id);
    }
    return out;
}

ContainerCreated ContainerReplayer::create(Poco::JSON::Object& mapped,
                                           ArtifactReplayer::Embedded& embedded) {
    if (embedded.sent.empty()) return pass_.target.createContainer(mapped);
    ContainerCreated created;
    try {
        created = pass_.target.createContainer(mapped);
    } catch (const RecordError& e) {
        mapped.remove("artifacts");
        // Refused with its artifacts: once more without them, so that a bad artifact costs
        // itself (its batch says which), not its container.
        poco_debug(pass_.logger, pass_.where() + "a container create with " +
                                     std::to_string(embedded.sent.size()) +
                                     " artifacts was refused (" + refusalMessage(e) +
                                     "); sending it without them");
        auto alone = pass_.target.createContainer(mapped);
        if (!alone.existed) embedded.refused = refusalMessage(e);
        return alone;
    } catch (...) {
        mapped.remove("artifacts");
        throw;
    }
    mapped.remove("artifacts");
    if (!created.existed) pass_.embed->accepted();
    embedded.maybe_made = !created.existed;
    if (embedded.maybe_made) embedded.results = std::move(created.artifacts);
    return created;
}

void ContainerReplayer::settle(const SourceContainer& source, std::int64_t target_id, bool whole,
                               const Poco::JSON::Object& mapped, Replayed& out) {
    auto& mirror = *pass_.fields;
    if (whole) {
        out.unit.mirrors.push_back({source.id, FieldMirror::encode(mirror.read(*source.body)),
                                    FieldMirror::encode(mirror.read(mapped))});
        return;
    }
    const auto base = pass_.store.mirrorState(pass_.key, source.id);
    // The source's mirrored fields have not moved since they were settled: nothing flows out
    // (a change on the copy comes back through MirrorBack).
    if (base && FieldMirror::encode(mirror.read(*source.body)) == base->source_fields) return;
    const auto copy = pass_.target_side->readContainer(target_id);
    if (!copy || copy->unreadable) return;
    const auto settled = mirror.settle(source, *copy, base);
    if (settled.to_target > 0) ++out.counts.containers_updated;
    out.counts.fields_mirrored += settled.to_source;
    out.counts.conflicts_source_won += settled.conflicts_source_won;
    out.counts.conflicts_target_won += settled.conflicts_target_won;
    out.unit.mirrors.push_back(settled.state);
}

Replayed ContainerReplayer::unreadable(RecordKind kind, std::int64_t id,
                                       const std::string& reason) {
    prefetched_.drop(id);
    Replayed out;
    out.unit.key = pass_.key;
    out.refuse(pass_, kind, id, "the source's answer cannot be read: " + reason);
    return out;
}

Replayed ContainerReplayer::replayItem(const SourceItem& item) {
    if (item.unreadable) return unreadable(item.kind, item.id, *item.unreadable);
    Replayed out;
    out.unit.key = pass_.key;
    const auto container = pass_.store.containerMapping(pass_.key, item.container);
    if (!container) return out;
    if (item.kind == RecordKind::Task) {
        WorkbookReplayer(pass_, item.container, container->target_id, false, out).one(item);
        return out;
    }
    if (item.kind == RecordKind::Attachment) {
        AttachmentReplayer(pass_, item.container, container->target_id, false, out)
            .one(item, pass_.store.noteMapping(pass_.key, item.kind, item.id));
        return out;
    }
    NoteReplayer(pass_, item.container, container->target_id, false, out)
        .one(item, pass_.store.noteMapping(pass_.key, item.kind, item.id));
    return out;
}

}  // namespace soar::sync
