// Unit tests of engineio::session's send bound: what counts, until when, and who is woken when
// the queue drains. No sockets: the io_context only runs the session's posted callbacks.
#include "libkasocki/engineio/session.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

namespace kasocki::engineio {
namespace {

// A message packet counting `bytes` against the bound (its type byte and bytes - 1 of data).
out_packet message_of(std::size_t bytes) {
  return make_out_packet(packet_type::message, std::string(bytes - 1, 'x'));
}

struct SessionBound : ::testing::Test {
  SessionBound() { options.send_queue_limit = 100; }
  std::shared_ptr<session> make() {
    return std::make_shared<session>(io.get_executor(), "sid", 4, transport_kind::websocket,
                                     options);
  }
  boost::asio::io_context io;
  server_options options;
};

TEST_F(SessionBound, TakenBytesStayCountedUntilWritten) {
  auto s = make();
  s->send(message_of(60));
  s->send(message_of(50));
  EXPECT_EQ(s->queued_bytes(), 110u);
  EXPECT_FALSE(s->writable());
  auto taken = s->take_queue();
  ASSERT_EQ(taken.size(), 2u);
  EXPECT_FALSE(s->has_queued());
  EXPECT_EQ(s->queued_bytes(), 110u);  // taken, not written: still counted
  EXPECT_FALSE(s->writable());
  s->written(60);
  EXPECT_EQ(s->queued_bytes(), 50u);
  EXPECT_TRUE(s->writable());
  s->written(50);
  EXPECT_EQ(s->queued_bytes(), 0u);
  EXPECT_EQ(s->peak_queued_bytes(), 110u);
}

TEST_F(SessionBound, APartialTakeLeavesTheRestQueuedInOrder) {
  auto s = make();
  s->send(message_of(10));
  s->send(message_of(20));
  s->send(message_of(30));
  auto first = s->take_queue(2);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].queued_size(), 10u);
  EXPECT_EQ(first[1].queued_size(), 20u);
  EXPECT_TRUE(s->has_queued());
  EXPECT_EQ(s->queued_bytes(), 60u);  // 30 taken and unwritten, 30 still queued
  s->written(30);
  EXPECT_EQ(s->queued_bytes(), 30u);
  auto rest = s->take_queue(2);
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].queued_size(), 30u);
  EXPECT_FALSE(s->has_queued());
  s->written(30);
  EXPECT_EQ(s->queued_bytes(), 0u);
}

// A writer taking a slice at a time while packets keep coming (the queue's storage is compacted
// as its front moves): every packet comes out once, in order, each take stopping at the packet
// that reaches the byte limit.
TEST_F(SessionBound, TakesBySizeKeepOrderWhileTheQueueGrows) {
  options.send_queue_limit = 1 << 20;
  auto s = make();
  std::size_t sent = 0;
  std::size_t next = 0;
  auto send_some = [&](std::size_t n) {
    for (std::size_t i = 0; i < n; ++i, ++sent) s->send(message_of(2 + sent % 7));
  };
  send_some(10);
  for (std::size_t round = 0; round < 100; ++round) {
    send_some(round % 5);
    if (!s->has_queued()) continue;
    auto taken = s->take_queue(0, 12);
    ASSERT_FALSE(taken.empty());
    std::size_t bytes = 0;
    for (std::size_t i = 0; i < taken.size(); ++i, ++next) {
      EXPECT_LT(bytes, 12u) << "taken past the packet that reached the limit";
      EXPECT_EQ(taken[i].queued_size(), 2 + next % 7) << "packet " << next;
      bytes += taken[i].queued_size();
    }
    s->written(bytes);
  }
  while (s->has_queued()) {
    auto taken = s->take_queue(0, 12);
    for (const auto& p : taken) EXPECT_EQ(p.queued_size(), 2 + next++ % 7);
  }
  EXPECT_EQ(next, sent);
  EXPECT_TRUE(s->take_queue(0, 12).empty());
}

TEST_F(SessionBound, EveryPacketCountsIncludingClose) {
  auto s = make();
  s->send(make_out_packet(packet_type::ping));
  s->send(make_out_packet(packet_type::pong, "probe"));
  s->close("test");
  // Each counts its type byte: a ping and a close have no data, the pong its 5 bytes.
  EXPECT_EQ(s->queued_bytes(), 1u + 6u + 1u);
  EXPECT_EQ(s->take_queue().size(), 3u);
}

TEST_F(SessionBound, DrainingBelowTheLimitWakesReadersAndTheApplication) {
  auto s = make();
  s->send(message_of(150));
  bool called = false;
  s->when_writable([&] { called = true; });
  bool room = false;
  s->room_signal().async_wait([&](boost::system::error_code) { room = true; });
  auto taken = s->take_queue();
  io.poll();
  EXPECT_FALSE(called);  // taking the queue is not writing it
  EXPECT_FALSE(room);
  s->written(150);
  io.poll();
  EXPECT_TRUE(called);
  EXPECT_TRUE(room);
}

TEST_F(SessionBound, DiscardKeepsWhatTheWriterTook) {
  auto s = make();
  s->send(message_of(30));
  auto taken = s->take_queue();
  s->send(message_of(80));
  EXPECT_EQ(s->queued_bytes(), 110u);
  s->discard_queued();
  EXPECT_FALSE(s->has_queued());
  EXPECT_EQ(s->queued_bytes(), 30u);
}

TEST_F(SessionBound, EndReleasesEverythingAndLateWritesAreHarmless) {
  auto s = make();
  s->send(message_of(150));
  auto taken = s->take_queue();
  bool room = false;
  s->room_signal().async_wait([&](boost::system::error_code) { room = true; });
  s->end("test");
  EXPECT_EQ(s->queued_bytes(), 0u);
  s->written(150);  // a writer finishing after the end
  EXPECT_EQ(s->queued_bytes(), 0u);
  io.poll();
  EXPECT_TRUE(room);
}

TEST_F(SessionBound, WhenWritableRunsAtOnceWithRoom) {
  auto s = make();
  bool called = false;
  s->when_writable([&] { called = true; });
  EXPECT_TRUE(called);
}

}  // namespace
}  // namespace kasocki::engineio
