#include "soar/client/Timestamp.h"

#include <catch2/catch.hpp>

using soar::sync::Timestamp;

TEST_CASE("Timestamp parses SOAR's microsecond Z form and writes it back", "[timestamp]") {
    const auto t = Timestamp::parse("2016-01-18T19:26:39.053087Z");
    REQUIRE(t);
    CHECK(t->micros() == 1453145199053087);
    CHECK(t->toString() == "2016-01-18T19:26:39.053087Z");
}

TEST_CASE("Timestamp accepts offsets, short fractions and a space separator", "[timestamp]") {
    const auto z = Timestamp::parse("2024-03-01T00:00:00.500000Z");
    REQUIRE(z);
    CHECK(Timestamp::parse("2024-03-01T00:00:00.5+00:00") == z);
    CHECK(Timestamp::parse("2024-03-01 00:00:00.5Z") == z);
    CHECK(Timestamp::parse("2024-03-01T01:30:00.5+0130") == z);
    CHECK(Timestamp::parse("2024-02-29T19:00:00.5-05:00") == z);
    CHECK(Timestamp::parse("2024-03-01T00:00:00.5000009Z") == z);  // digits past 6 truncated
    CHECK(Timestamp::parse("2024-03-01T00:00:00")->toString() == "2024-03-01T00:00:00.000000Z");
}

TEST_CASE("Timestamp rejects what is not a date-time", "[timestamp]") {
    for (const char* bad :
         {"", "2024", "2024-13-01T00:00:00Z", "2023-02-29T00:00:00Z", "2024-01-01T24:00:00Z",
          "2024-01-01T00:00:00.Z", "2024-01-01T00:00:00Zjunk", "2024-01-01T00:00:00+25:00", "null",
          "2024-01-01X00:00:00Z"}) {
        INFO(bad);
        CHECK_FALSE(Timestamp::parse(bad));
    }
}

TEST_CASE("Timestamp orders and formats across the epoch and leap days", "[timestamp]") {
    CHECK(Timestamp().toString() == "1970-01-01T00:00:00.000000Z");
    CHECK(Timestamp::fromMicros(-1).toString() == "1969-12-31T23:59:59.999999Z");
    const auto leap = Timestamp::parse("2000-02-29T23:59:59.999999Z");
    REQUIRE(leap);
    CHECK(leap->plusMicros(1).toString() == "2000-03-01T00:00:00.000000Z");
    CHECK(*leap < leap->plusMicros(1));
    CHECK(Timestamp::parse(leap->toString()) == leap);
    const auto now = Timestamp::now();
    CHECK(Timestamp::parse(now.toString()) == now);
}
