// Unit tests for engineio/websocket_frame.hpp: Engine.IO packets as websocket frames, unmasked
// (server) and masked (client), read back by the frame codec's reader of the other side.
#include <gtest/gtest.h>

#include "libkasocki/engineio/websocket_frame.hpp"
#include "libkasocki/websocket/frame_reader.hpp"

namespace kasocki::engineio {
namespace {

TEST(WebsocketFrame, TextPacketCarriesTypeDigitHeadBodyTail) {
  out_packet p;
  p.set_around("2[\"message\",", "]");
  p.body = kasocki::make_shared_bytes("{\"a\":1}");
  std::string out;
  append_packet_frame(out, p, 4);
  std::string payload = "42[\"message\",{\"a\":1}]";
  EXPECT_EQ(out, std::string("\x81") + char(payload.size()) + payload);
}

TEST(WebsocketFrame, BinaryPacketV4IsRawAndV3HasMarker) {
  auto p = make_out_packet(packet_type::message, std::string("\x01\x02", 2), true);
  std::string v4, v3;
  append_packet_frame(v4, p, 4);
  append_packet_frame(v3, p, 3);
  EXPECT_EQ(v4, std::string("\x82\x02\x01\x02", 4));
  EXPECT_EQ(v3, std::string("\x82\x03\x04\x01\x02", 5));
}

TEST(WebsocketFrame, SeveralFramesConcatenate) {
  std::string out;
  append_packet_frame(out, make_out_packet(packet_type::ping), 4);
  append_packet_frame(out, make_out_packet(packet_type::message, "hi"), 4);
  EXPECT_EQ(out, std::string("\x81\x01"
                             "2"
                             "\x81\x03"
                             "4hi",
                             8));
}

TEST(WebsocketFrame, MaskedPacketsReadBackByAServer) {
  std::string out;
  append_packet_frame(out, make_out_packet(packet_type::pong), 4, 0);
  EXPECT_EQ(out, std::string("\x81\x81\0\0\0\0"
                             "3",
                             7));
  append_packet_frame(out, make_out_packet(packet_type::message, "xyz"), 4, 0xdeadbeef);
  append_packet_frame(out, make_out_packet(packet_type::message, std::string(300, 'b'), true), 4,
                      0x11223344);
  websocket::frame_reader reader(websocket::role::server, 1 << 20);
  reader.append(out);
  EXPECT_EQ(reader.next().payload, "3");
  EXPECT_EQ(reader.next().payload, "4xyz");
  auto binary = reader.next();
  EXPECT_EQ(binary.kind, websocket::frame_kind::binary);
  EXPECT_EQ(binary.payload, std::string(300, 'b'));
}

}  // namespace
}  // namespace kasocki::engineio
