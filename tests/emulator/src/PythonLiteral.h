#pragma once

/// Parses the value of a SOAR/Django query filter (`_filter_x=<value>`), which the server
/// reads as a Python literal: 'single' or "double" quoted strings with backslash escapes,
/// ints, floats, True/False/None and [lists] or (tuples) of those. Lists come back as a
/// Poco::JSON::Array::Ptr inside the Var, None as an empty Var. Pure function, thread-safe.

#include <Poco/Dynamic/Var.h>

#include <stdexcept>
#include <string>

namespace soar::emulator {

/// Thrown with a message naming what could not be parsed.
class LiteralError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

Poco::Dynamic::Var parsePythonLiteral(const std::string& text);

}  // namespace soar::emulator
