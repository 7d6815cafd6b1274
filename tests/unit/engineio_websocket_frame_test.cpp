// Unit tests for the server-side websocket frame writer.
#include <gtest/gtest.h>

#include "libkasocki/engineio/websocket_frame.hpp"

using namespace kasocki::engineio;

TEST(WebsocketFrame, HeaderLengthForms) {
  struct {
    std::size_t size;
    std::string header;
  } cases[] = {
      {0, std::string("\x81\x00", 2)},
      {125, "\x81\x7d"},
      {126, std::string("\x81\x7e\x00\x7e", 4)},
      {65535, "\x81\x7e\xff\xff"},
      {65536, std::string("\x81\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10)},
  };
  for (const auto& c : cases) {
    std::string out;
    append_frame_header(out, false, c.size);
    EXPECT_EQ(out, c.header) << c.size;
  }
  std::string binary;
  append_frame_header(binary, true, 3);
  EXPECT_EQ(binary, "\x82\x03");
}

TEST(WebsocketFrame, TextPacketCarriesTypeDigitHeadBodyTail) {
  out_packet p;
  p.head = "2[\"message\",";
  p.body = kasocki::make_shared_bytes("{\"a\":1}");
  p.tail = "]";
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
