// parseJson() of JsonTree.h: Poco's parser driving a Poco::JSON::Handler that builds the tree
// in place.

#include "soar/client/JsonTree.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Handler.h>
#include <Poco/JSON/JSONException.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <type_traits>
#include <vector>

namespace soar::sync {
namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

/// Builds the tree as ParseHandler (without preserved key order) does: the same node types,
/// the last of two equal keys wins. A value goes into its parent as an empty slot that is then
/// swapped with it, so it is never copied; the open containers are held as plain pointers into
/// the tree, which owns them. An object's members wait in a buffer until it closes and then go
/// in in key order, so that each one's slot is the last of the object's sorted map: no search.
class TreeBuilder : public Poco::JSON::Handler {
public:
    void reset() override {
        open_.clear();
        members_.clear();
        key_.clear();
        result_.empty();
    }

    void startObject() override { start<Object>(); }
    void endObject() override { end(); }
    void startArray() override { start<Array>(); }
    void endArray() override { end(); }

    void key(const std::string& k) override { key_ = k; }

    void null() override {
        Var node;
        place(node);
    }
    void value(int v) override { put(v); }
    void value(unsigned v) override { put(v); }
    void value(Poco::Int64 v) override { put(v); }
    void value(Poco::UInt64 v) override { put(v); }
    void value(const std::string& v) override { put(v); }
    void value(double d) override { put(d); }
    void value(bool b) override { put(b); }

    [[nodiscard]] Var asVar() const override { return result_; }

private:
    struct Open {
        Object* object;
        Array* array;
    };

    /// The members of an open object, in the order they came. Var has no move, so the
    /// buffers of each depth are kept with their capacity, and sorted by index.
    struct Members {
        std::vector<std::string> keys;
        std::vector<Var> values;
        std::vector<std::uint32_t> order;
    };

    /// Places a new empty object or array and opens it for what follows.
    template <class Node>
    void start() {
        typename Node::Ptr node = new Node;
        Node* raw = node.get();
        Var slot(node);
        place(slot);
        if constexpr (std::is_same_v<Node, Object>) {
            open_.push_back({raw, nullptr});
            if (members_.size() < open_.size()) members_.resize(open_.size());
        } else {
            open_.push_back({nullptr, raw});
        }
    }
    void end() {
        if (open_.empty()) return;
        if (open_.back().object != nullptr) fill(*open_.back().object, members_[open_.size() - 1]);
        open_.pop_back();
    }

    /// Moves the buffered members into `object` in ascending key order (the last of equal
    /// keys wins), each swapped into the slot it gets at the end of the map.
    static void fill(Object& object, Members& m) {
        const auto n = static_cast<std::uint32_t>(m.keys.size());
        m.order.resize(n);
        for (std::uint32_t i = 0; i < n; ++i) m.order[i] = i;
        std::stable_sort(m.order.begin(), m.order.end(),
                         [&m](std::uint32_t a, std::uint32_t b) { return m.keys[a] < m.keys[b]; });
        for (std::uint32_t i = 0; i < n; ++i) {
            const auto at = m.order[i];
            if (i + 1 < n && m.keys[m.order[i + 1]] == m.keys[at]) continue;
            object.set(m.keys[at], Var());
            auto slot = std::prev(object.end());
            if (slot->first != m.keys[at]) {
                slot = object.begin();
                while (slot->first != m.keys[at]) ++slot;
            }
            slot->second.swap(m.values[at]);
        }
        m.keys.clear();
        m.values.clear();
    }

    template <class T>
    void put(const T& v) {
        Var node(v);
        place(node);
    }

    /// Moves `node` (left empty) into the innermost open container, or makes it the result.
    void place(Var& node) {
        if (open_.empty()) {
            // Poco's handler takes a container as the result and refuses a lone value.
            if (node.type() != typeid(Object::Ptr) && node.type() != typeid(Array::Ptr)) {
                throw Poco::JSON::JSONException("Attempt to set value on an empty stack");
            }
            result_.swap(node);
            return;
        }
        const Open& parent = open_.back();
        if (parent.array != nullptr) {
            parent.array->add(Var());
            // The slot is the array's own element: only its const accessors are public.
            const_cast<Var&>(*(parent.array->end() - 1)).swap(node);
        } else {
            Members& m = members_[open_.size() - 1];
            m.keys.emplace_back();
            m.keys.back().swap(key_);
            m.values.emplace_back();
            m.values.back().swap(node);
        }
    }

    std::vector<Open> open_;
    /// One buffer per depth of open objects.
    std::vector<Members> members_;
    std::string key_;
    Var result_;
};

}  // namespace

Var parseJson(const std::string& text) {
    Poco::JSON::Parser parser(new TreeBuilder);
    return parser.parse(text);
}

}  // namespace soar::sync
