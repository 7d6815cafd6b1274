// Unit tests of engineio::session's heartbeat: what it queues and why a session ends (v4 server
// pings, v3 client pings, the wait for a closing client). No sockets; the io_context runs the
// heartbeat with 1 ms intervals and the tests await events (a queued packet, the session's end),
// not durations. The 60 s bound of run_until only stops a broken heartbeat from hanging.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>

#include <boost/asio/io_context.hpp>

#include "libkasocki/engineio/session.hpp"

namespace kasocki::engineio {
namespace {

using namespace std::chrono_literals;

struct SessionHeartbeat : ::testing::Test {
  SessionHeartbeat() {
    options.ping_interval = 1ms;
    options.ping_timeout = 1ms;
  }
  std::shared_ptr<session> start(int protocol) {
    auto s = std::make_shared<session>(io.get_executor(), "sid", protocol, transport_kind::polling,
                                       options);
    s->set_handlers([](packet&&) {},
                    [this](std::string_view reason) { end_reason = std::string(reason); });
    s->start();
    return s;
  }
  // Runs the loop until `done` holds; false if it never does (the loop ran out of work).
  bool run_until(const std::function<bool()>& done) {
    const auto give_up = std::chrono::steady_clock::now() + 60s;
    while (!done() && std::chrono::steady_clock::now() < give_up)
      if (io.run_one_for(1s) == 0 && io.stopped()) break;
    return done();
  }
  // The types of the packets queued for the client, taken from the queue.
  static std::vector<packet_type> take_types(session& s) {
    std::vector<packet_type> types;
    for (const auto& p : s.take_queue()) types.push_back(p.type);
    return types;
  }

  boost::asio::io_context io;
  server_options options;
  std::string end_reason;
};

TEST_F(SessionHeartbeat, V4PingsAndEndsWithoutAPong) {
  auto s = start(4);
  ASSERT_TRUE(run_until([&] { return s->has_queued() || s->ended(); }));
  EXPECT_EQ(take_types(*s), std::vector{packet_type::ping});
  ASSERT_TRUE(run_until([&] { return s->ended(); }));
  EXPECT_EQ(end_reason, "ping timeout");
}

// A client far behind its queue gets the ping late; while it drains what was written before,
// the pong deadline moves (the heartbeat then re-arms at it instead of ending the session).
TEST_F(SessionHeartbeat, WritesThatCompleteMoveThePongDeadline) {
  options.ping_timeout = 1h;
  auto s = start(4);
  ASSERT_TRUE(run_until([&] { return s->has_queued() || s->ended(); }));
  auto taken = s->take_queue();
  ASSERT_EQ(taken.size(), 1u);
  const auto first = s->pong_deadline();
  while (std::chrono::steady_clock::now() + options.ping_timeout <= first) {
  }  // the clock moves on (nanoseconds)
  s->written(taken[0].queued_size());
  EXPECT_GT(s->pong_deadline(), first);
  const auto second = s->pong_deadline();
  s->written(0);  // nothing written: no progress, no new deadline
  EXPECT_EQ(s->pong_deadline(), second);
  s->receive(packet{packet_type::pong, false, ""});
  s->written(1);  // no pong awaited any more: the deadline stays
  EXPECT_EQ(s->pong_deadline(), second);
  s->end("done");
}

TEST_F(SessionHeartbeat, V4PingsAgainAfterEachPong) {
  auto s = start(4);
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(run_until([&] { return s->has_queued() || s->ended(); })) << round;
    ASSERT_FALSE(s->ended()) << round << ": " << end_reason;
    EXPECT_EQ(take_types(*s), std::vector{packet_type::ping}) << round;
    s->receive(packet{packet_type::pong, false, ""});
  }
  s->end("done");
  EXPECT_EQ(end_reason, "done");
}

TEST_F(SessionHeartbeat, V3AnswersClientPingsAndEndsWhenTheyStop) {
  auto s = start(3);
  s->receive(packet{packet_type::ping, false, "x"});
  auto queued = s->take_queue();
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_EQ(queued[0].type, packet_type::pong);
  EXPECT_EQ(queued[0].head(), "x");
  ASSERT_TRUE(run_until([&] { return s->ended(); }));
  EXPECT_EQ(end_reason, "ping timeout");
  EXPECT_FALSE(s->has_queued());  // the server never pings a v3 client
}

TEST_F(SessionHeartbeat, AClosingSessionEndsWithItsReasonWhenTheClientIsGone) {
  auto s = start(4);
  s->close("server disconnect");
  EXPECT_EQ(take_types(*s), std::vector{packet_type::close});
  ASSERT_TRUE(run_until([&] { return s->ended(); }));
  EXPECT_EQ(end_reason, "server disconnect");
}

// With an interval of an hour, the loop stops long before a ping only if the heartbeat's wait
// was cancelled and the heartbeat returned.
TEST_F(SessionHeartbeat, EndStopsTheHeartbeat) {
  options.ping_interval = 1h;
  auto s = start(4);
  io.poll();  // the heartbeat waits for the first ping
  s->end("transport close");
  io.run_for(60s);
  EXPECT_TRUE(io.stopped());
  EXPECT_FALSE(s->has_queued());
  EXPECT_EQ(end_reason, "transport close");
}

TEST_F(SessionHeartbeat, ADroppedSessionStopsTheHeartbeat) {
  options.ping_interval = 1h;
  auto s = start(4);
  io.poll();
  std::weak_ptr<session> weak = s;
  s.reset();  // never ended: the heartbeat holds it weakly, so it goes
  EXPECT_TRUE(weak.expired());
  io.run_for(60s);
  EXPECT_TRUE(io.stopped());
  EXPECT_EQ(end_reason, "");
}

}  // namespace
}  // namespace kasocki::engineio
