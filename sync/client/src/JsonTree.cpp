// parseJson() of JsonTree.h: Poco's parser driving a Poco::JSON::Handler that builds the tree
// in place.

#include "soar/client/JsonTree.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Handler.h>
#include <Poco/JSON/JSONException.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

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
/// the tree, which owns them.
class TreeBuilder : public Poco::JSON::Handler {
public:
    void reset() override {
        open_.clear();
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
    static constexpr std::size_t kScanned = 64;

    struct Open {
        Object* object;
        Array* array;
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
        } else {
            open_.push_back({nullptr, raw});
        }
    }
    void end() {
        if (!open_.empty()) open_.pop_back();
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
            // Object has no find() that hands out its slot: up to kScanned members it is
            // found by a scan, which costs less than the copy; beyond, the value is copied.
            Object& object = *parent.object;
            object.set(key_, Var());
            Var* slot = nullptr;
            if (object.size() <= kScanned) {
                for (auto it = object.begin(); it != object.end() && slot == nullptr; ++it) {
                    if (it->first == key_) slot = &it->second;
                }
            }
            slot != nullptr ? slot->swap(node) : void(object.set(key_, node));
            key_.clear();
        }
    }

    std::vector<Open> open_;
    std::string key_;
    Var result_;
};

}  // namespace

Var parseJson(const std::string& text) {
    Poco::JSON::Parser parser(new TreeBuilder);
    return parser.parse(text);
}

}  // namespace soar::sync
