// Unit tests of client/send_queue: the byte bound of the client's outgoing packets.
#include "client/send_queue.hpp"

#include <gtest/gtest.h>

namespace kasocki::client {
namespace {

engineio::out_packet packet_of(std::size_t bytes) {
  return engineio::make_out_packet(engineio::packet_type::message, std::string(bytes, 'x'));
}

TEST(SendQueue, RefusesWhatWouldGoOverTheLimit) {
  struct step {
    std::size_t bytes;
    bool queued;
    std::size_t total_after;
  };
  // A 10-byte limit: packets are taken while they fit, refused (nothing queued) when not.
  const step steps[] = {{4, true, 4}, {6, true, 10}, {1, false, 10}, {0, true, 10}};
  send_queue q(10);
  for (const auto& s : steps) {
    EXPECT_EQ(q.push(packet_of(s.bytes)), s.queued) << s.bytes;
    EXPECT_EQ(q.bytes(), s.total_after) << s.bytes;
  }
  EXPECT_EQ(q.size(), 3u);
}

TEST(SendQueue, PacketLargerThanTheLimitIsRefusedEvenWhenEmpty) {
  send_queue q(10);
  EXPECT_FALSE(q.push(packet_of(11)));
  EXPECT_TRUE(q.empty());
  EXPECT_FALSE(q.has_room(11));
  EXPECT_TRUE(q.has_room(10));
}

TEST(SendQueue, TakingPacketsMakesRoom) {
  send_queue q(10);
  ASSERT_TRUE(q.push(packet_of(7)));
  EXPECT_FALSE(q.has_room(4));
  q.pop_front();
  EXPECT_EQ(q.bytes(), 0u);
  EXPECT_TRUE(q.push(packet_of(10)));
  q.clear();
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.bytes(), 0u);
}

TEST(SendQueue, ControlPacketsGoInAtTheLimit) {
  send_queue q(10);
  ASSERT_TRUE(q.push(packet_of(10)));
  q.push_unbounded(engineio::make_out_packet(engineio::packet_type::close));
  EXPECT_EQ(q.size(), 2u);
  EXPECT_EQ(q.bytes(), 10u);  // the close packet has no data
  EXPECT_FALSE(q.has_room(1));
}

}  // namespace
}  // namespace kasocki::client
