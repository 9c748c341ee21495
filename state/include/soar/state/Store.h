#pragma once

/// The state store as the route engine sees it: everything soar-sync must remember between
/// passes and across crashes (design §5), kept per (route, target).
///
/// `Store` is the aggregate of one narrow interface per concern, so a consumer can take only
/// what it uses (and a test fake only what it needs):
/// - `CursorStore`: where each change stream resumes;
/// - `MappingStore`: id maps and content hashes;
/// - `UnitOfWorkStore`: `commit`, the one way to record a replayed container;
/// - `PlaybookRunStore`: playbook runs, intent to outcome;
/// - `DeadLetterStore`: records a target refused;
/// - `ListStore`: the custom lists copied, by content hash;
/// - `ReconcileStore`: deletions found on the source, and where a reconcile is;
/// - `StrikeStore`: poison strikes, the passes in a row a target answered a container's write
///   with a 500;
/// - `PassLog`: pass history and target health;
/// - `StatusStore`: the known (route, target) pairs and a snapshot of each;
/// - `LeaseStore`: which daemon replays which route, with fencing of the others' writes.
///
/// Contract, for every one of them:
/// - Every write is atomic and durable against a process crash once the call returns. A call
///   that throws has changed nothing.
/// - `commit(UnitOfWork)` records a replayed container: its mapping, its artifacts' mappings,
///   the cursor advance, and the dead letters and playbook intents that belong to it land
///   together or not at all.
/// - Reads see every write that returned before the read started, in this process or another.
/// - Failures throw `StateError`; no library exception crosses these interfaces.
///
/// Thread safety: implementations are safe to call from any number of threads at once (see
/// `SqliteStore` for how). Ownership: the store owns its storage; results are plain values.
///
/// `SqliteStore` implements it on SQLite; `InMemoryStore` (tests/support) is the fake the
/// engine's tests use, held to the same contract by `StoreContractTest`.

#include "soar/state/CursorStore.h"
#include "soar/state/DeadLetterStore.h"
#include "soar/state/LeaseStore.h"
#include "soar/state/ListStore.h"
#include "soar/state/MappingStore.h"
#include "soar/state/PassLog.h"
#include "soar/state/PlaybookRunStore.h"
#include "soar/state/ReconcileStore.h"
#include "soar/state/Records.h"
#include "soar/state/StatusStore.h"
#include "soar/state/StrikeStore.h"
#include "soar/state/UnitOfWorkStore.h"

namespace soar::state {

class Store : public CursorStore,
              public MappingStore,
              public UnitOfWorkStore,
              public PlaybookRunStore,
              public DeadLetterStore,
              public ListStore,
              public ReconcileStore,
              public StrikeStore,
              public PassLog,
              public StatusStore,
              public LeaseStore {
public:
    ~Store() override = default;
};

}  // namespace soar::state
