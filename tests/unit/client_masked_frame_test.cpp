// Unit tests for client/masked_frame.hpp: the client's masked websocket frames, byte for byte
// against RFC 6455's examples, and a batch of them read back by Beast's server-side websocket
// stream over loopback TCP (the reader the gateway uses).
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "client/masked_frame.hpp"

namespace kasocki::client {
namespace {

std::string bytes(std::initializer_list<int> list) {
  std::string out;
  for (int b : list) out += static_cast<char>(b);
  return out;
}

// Reverses the masking: the payload of the single frame in `frame`.
std::string unmask(std::string_view frame, std::size_t header) {
  std::string payload(frame.substr(header + 4));
  for (std::size_t i = 0; i < payload.size(); ++i)
    payload[i] = static_cast<char>(payload[i] ^ frame[header + i % 4]);
  return payload;
}

TEST(ClientMaskedFrame, RfcHelloExample) {
  // RFC 6455 5.7: "A single-frame masked text message", key 37 fa 21 3d.
  std::string out;
  append_masked_frame(out, false, "Hello", 0x37fa213d);
  EXPECT_EQ(out, bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
}

TEST(ClientMaskedFrame, ControlFramesCarryTheirOpcode) {
  // A pong echoing "Hello" (RFC 6455 5.7's unmasked ping example, masked the client's way),
  // and a close with code 1000.
  std::string pong;
  append_masked_control_frame(pong, 0xa, "Hello", 0x37fa213d);
  EXPECT_EQ(pong, bytes({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
  std::string close;
  append_masked_control_frame(close, 0x8, bytes({0x03, 0xe8}), 0x01020304);
  EXPECT_EQ(close.substr(0, 2), bytes({0x88, 0x82}));
  EXPECT_EQ(unmask(close, 2), bytes({0x03, 0xe8}));
}

TEST(ClientMaskedFrame, LengthForms) {
  struct row {
    std::size_t size;
    std::string header;  // without the key
  };
  const row rows[] = {
      {0, bytes({0x82, 0x80})},
      {125, bytes({0x82, 0xfd})},
      {126, bytes({0x82, 0xfe, 0x00, 0x7e})},
      {65535, bytes({0x82, 0xfe, 0xff, 0xff})},
      {65536, bytes({0x82, 0xff, 0, 0, 0, 0, 0, 1, 0, 0})},
  };
  for (const auto& r : rows) {
    std::string payload(r.size, '\0');
    for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(i * 7);
    std::string out = "prefix";  // appends, leaving what is there
    append_masked_frame(out, true, payload, 0x01020304);
    std::string_view frame = std::string_view(out).substr(6);
    ASSERT_EQ(frame.size(), r.header.size() + 4 + r.size) << r.size;
    EXPECT_EQ(frame.substr(0, r.header.size()), r.header) << r.size;
    EXPECT_EQ(frame.substr(r.header.size(), 4), bytes({1, 2, 3, 4}));
    EXPECT_EQ(unmask(frame, r.header.size()), payload) << r.size;
    if (r.size >= 8) {
      EXPECT_NE(frame.substr(r.header.size() + 4), payload);  // masked
    }
  }
}

TEST(ClientMaskedFrame, PacketCarriesTypeDigitOrRawBytes) {
  engineio::out_packet text = engineio::make_out_packet(engineio::packet_type::message, "x");
  text.tail = "yz";
  std::string out;
  append_masked_packet(out, text, 0xdeadbeef);
  EXPECT_EQ(static_cast<unsigned char>(out[0]), 0x81);
  EXPECT_EQ(unmask(out, 2), "4xyz");

  engineio::out_packet pong = engineio::make_out_packet(engineio::packet_type::pong);
  out.clear();
  append_masked_packet(out, pong, 0);
  EXPECT_EQ(out, bytes({0x81, 0x81, 0, 0, 0, 0, '3'}));

  engineio::out_packet binary =
      engineio::make_out_packet(engineio::packet_type::message, bytes({0, 1, 0xff}), true);
  out.clear();
  append_masked_packet(out, binary, 0x11223344);
  EXPECT_EQ(static_cast<unsigned char>(out[0]), 0x82);
  EXPECT_EQ(unmask(out, 2), bytes({0, 1, 0xff}));
}

TEST(ClientMaskedFrame, MaskKeysVary) {
  mask_source masks;
  std::uint32_t first = masks.next();
  bool differs = false;
  for (int i = 0; i < 8; ++i) differs |= masks.next() != first;
  EXPECT_TRUE(differs);
}

// A batch of frames in one write is read by Beast as separate messages, text and binary.
TEST(ClientMaskedFrame, BeastServerReadsABatch) {
  namespace asio = boost::asio;
  namespace websocket = boost::beast::websocket;
  using tcp = asio::ip::tcp;
  asio::io_context ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  std::vector<std::pair<bool, std::string>> sent;
  for (int i = 0; i < 50; ++i)
    sent.emplace_back(i % 5 == 4, std::string(static_cast<std::size_t>(i * 37), 'a' + i % 26));
  sent.emplace_back(false, std::string(70000, 'z'));

  std::vector<std::pair<bool, std::string>> received;
  std::string server_error;
  std::thread server([&] {
    boost::system::error_code ec;
    websocket::stream<tcp::socket> ws(acceptor.accept());
    ws.accept(ec);
    boost::beast::flat_buffer buffer;
    while (!ec && received.size() < sent.size()) {
      ws.read(buffer, ec);
      if (ec) break;
      received.emplace_back(!ws.got_text(), boost::beast::buffers_to_string(buffer.data()));
      buffer.consume(buffer.size());
    }
    if (ec) server_error = ec.message();
  });

  websocket::stream<tcp::socket> client(ioc);
  client.next_layer().connect(acceptor.local_endpoint());
  client.handshake("127.0.0.1", "/");
  std::string batch;
  mask_source masks;
  for (const auto& [binary, payload] : sent)
    append_masked_frame(batch, binary, payload, masks.next());
  asio::write(client.next_layer(), asio::buffer(batch));
  server.join();
  EXPECT_EQ(server_error, "");
  EXPECT_EQ(received, sent);
}

}  // namespace
}  // namespace kasocki::client
