#pragma once

/// The one way to record a replayed container (design §5, "write, then commit"): everything
/// the target accepted for it lands in the store together, or nothing does.
///
/// Contract (shared by every store interface, see `Store.h`): a write is atomic and durable once
/// the call returns, and a call that throws changed nothing; failures throw `StateError`.
///
/// Thread safety: implementations are safe to call from any number of threads at once.
/// Ownership: results are plain values.

#include "soar/state/Records.h"

namespace soar::state {

class UnitOfWorkStore {
public:
    virtual ~UnitOfWorkStore() = default;

    /// Records a replayed container in one transaction, in this order: container mappings,
    /// then artifact, note and comment mappings (upserts), cursor advances (stored as given),
    /// resolved dead letters (removed), new dead letters (inserted or one more attempt, like
    /// `DeadLetterStore::recordDeadLetter`) and playbook intents (recorded unless their trigger
    /// is, like `PlaybookRunStore::recordPlaybookIntent`). All or nothing.
    ///
    /// Returns what the dead letters and intents came to, in the order of the unit's lists;
    /// callers with neither may ignore it. Throws `StateError` (kind `Constraint`) when an
    /// artifact, note or comment names an unmapped container, when a note mapping's kind is
    /// not Note or Comment, or when an intent names another (route, target) than the unit.
    virtual CommitResult commit(const UnitOfWork& unit) = 0;
};

}  // namespace soar::state
