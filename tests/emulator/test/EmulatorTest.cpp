#include "soar/emulator/Emulator.h"

#include <catch2/catch.hpp>

TEST_CASE("emulator starts", "[emulator]") {
    soar::emulator::Emulator emu({});
    CHECK(emu.port() != 0);
}
