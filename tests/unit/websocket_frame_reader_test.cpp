// Unit tests for libkasocki/websocket/frame_reader.hpp, for both roles (a server reads masked
// frames, a client unmasked ones): every frame form (RFC 6455 5.2), fragmented messages with
// control frames between the fragments, every protocol error, UTF-8 checks, inputs split at
// every byte, and the buffer's growth, compaction and release.
#include <gtest/gtest.h>

#include <cstring>
#include <optional>
#include <vector>

#include "libkasocki/websocket/frame_reader.hpp"
#include "libkasocki/websocket/frame_writer.hpp"

namespace kasocki::websocket {
namespace {

constexpr std::size_t max_size = 1 << 20;
// The role of the reader under test: a server's peer masks every frame, a client's none.
role current_role = role::client;
constexpr std::uint32_t test_mask = 0x37fa213d;
// The second byte of a frame header with a 7-bit length field of `n`, as the peer sends it.
int len(int n) {
  return current_role == role::server ? (0x80 | n) : n;
}

std::string bytes(std::initializer_list<int> list) {
  std::string out;
  for (int b : list) out += static_cast<char>(b);
  return out;
}

// One frame as the reader's peer sends it (masked for a server's reader). `length_bytes` forces
// a length form (0: the shortest one).
std::string frame(int first_byte, std::string_view payload, int length_bytes = 0) {
  std::string out(1, static_cast<char>(first_byte));
  const std::uint64_t n = payload.size();
  if (length_bytes == 0) length_bytes = n < 126 ? 1 : n <= 0xffff ? 2 : 8;
  if (length_bytes == 1) {
    out += static_cast<char>(len(static_cast<int>(n)));
  } else {
    out += static_cast<char>(len(length_bytes == 2 ? 126 : 127));
    for (int shift = (length_bytes - 1) * 8; shift >= 0; shift -= 8)
      out += static_cast<char>((n >> shift) & 0xff);
  }
  if (current_role == role::client) return out += payload;
  for (int shift = 24; shift >= 0; shift -= 8)
    out += static_cast<char>((test_mask >> shift) & 0xff);
  const std::size_t at = out.size();
  out += payload;
  mask_from(out, at, test_mask);
  return out;
}
std::string text(std::string_view p) {
  return frame(0x81, p);
}
std::string binary(std::string_view p) {
  return frame(0x82, p);
}

// An event with its payload copied out (the reader's views do not outlive the next call).
struct seen {
  frame_kind kind;
  std::string payload;
  std::uint16_t code = 0;
  frame_error error = frame_error::none;
  bool operator==(const seen&) const = default;
};

std::ostream& operator<<(std::ostream& os, const seen& s) {
  return os << "{kind " << static_cast<int>(s.kind) << ", " << s.payload.size() << " bytes, code "
            << s.code << ", error " << static_cast<int>(s.error) << "}";
}

void feed(frame_reader& r, std::string_view data) {
  auto region = r.prepare(data.size());
  ASSERT_GE(region.size(), data.size());
  ASSERT_GE(region.size(), r.min_read());
  std::memcpy(region.data(), data.data(), data.size());
  r.commit(data.size());
}

// Every event until the reader needs more (or fails).
void drain(frame_reader& r, std::vector<seen>& out) {
  for (;;) {
    auto e = r.next();
    if (e.kind == frame_kind::need_more) return;
    out.push_back({e.kind, std::string(e.payload), e.close_code, e.error});
    if (e.kind == frame_kind::error) return;
  }
}

std::vector<seen> read_all(std::string_view data, std::size_t max = max_size) {
  frame_reader r(current_role, max);
  feed(r, data);
  std::vector<seen> out;
  drain(r, out);
  return out;
}

seen error(frame_error e) {
  return {frame_kind::error, "", 0, e};
}

class FrameReader : public testing::TestWithParam<role> {
 protected:
  void SetUp() override { current_role = GetParam(); }
};

TEST_P(FrameReader, SingleFrames) {
  EXPECT_EQ(read_all(text("4hello")), (std::vector<seen>{{frame_kind::text, "4hello"}}));
  EXPECT_EQ(read_all(binary(bytes({0, 1, 0xff}))),
            (std::vector<seen>{{frame_kind::binary, bytes({0, 1, 0xff})}}));
  EXPECT_EQ(read_all(text("")), (std::vector<seen>{{frame_kind::text, ""}}));
  EXPECT_EQ(read_all(frame(0x89, "beat")), (std::vector<seen>{{frame_kind::ping, "beat"}}));
  EXPECT_EQ(read_all(frame(0x8a, "")), (std::vector<seen>{{frame_kind::pong, ""}}));
}

TEST_P(FrameReader, LengthForms) {
  for (std::size_t n : {0, 125, 126, 65535, 65536, 70000}) {
    std::string payload(n, '\0');
    for (std::size_t i = 0; i < n; ++i) payload[i] = static_cast<char>(i * 13);
    std::string f = binary(payload);
    const std::size_t key = current_role == role::server ? 4 : 0;
    EXPECT_EQ(f.size() - n, (n < 126 ? 2u : n <= 0xffff ? 4u : 10u) + key);
    EXPECT_EQ(read_all(f), (std::vector<seen>{{frame_kind::binary, payload}})) << n;
  }
  // RFC 6455 5.7's 64-bit example: a 65536-byte binary message.
  EXPECT_EQ(binary(std::string(65536, 'x')).substr(0, 10),
            bytes({0x82, len(0x7f), 0, 0, 0, 0, 0, 1, 0, 0}));
}

TEST_P(FrameReader, CloseFrames) {
  EXPECT_EQ(read_all(frame(0x88, "")), (std::vector<seen>{{frame_kind::close, "", 1005}}));
  EXPECT_EQ(read_all(frame(0x88, bytes({0x03, 0xe8}) + "bye")),
            (std::vector<seen>{{frame_kind::close, "bye", 1000}}));
  EXPECT_EQ(read_all(frame(0x88, bytes({0x0f, 0xa0}))),
            (std::vector<seen>{{frame_kind::close, "", 4000}}));
  EXPECT_EQ(read_all(frame(0x88, bytes({0x03}))),
            (std::vector<seen>{error(frame_error::bad_close_payload)}));
  for (int code : {0, 999, 1004, 1005, 1006, 1014, 1015, 1016, 2999}) {
    EXPECT_EQ(read_all(frame(0x88, bytes({code >> 8, code & 0xff}))),
              (std::vector<seen>{error(frame_error::bad_close_payload)}))
        << code;
  }
}

TEST_P(FrameReader, FragmentsWithControlFramesBetween) {
  std::string input = frame(0x01, "4he") + frame(0x89, "p1") + frame(0x00, "") + frame(0x8a, "p2") +
                      frame(0x80, "llo") + binary("next");
  EXPECT_EQ(read_all(input), (std::vector<seen>{{frame_kind::ping, "p1"},
                                                {frame_kind::pong, "p2"},
                                                {frame_kind::text, "4hello"},
                                                {frame_kind::binary, "next"}}));
  // A binary message in fragments, the last one with a 16-bit length.
  std::string big(300, 'b');
  EXPECT_EQ(read_all(frame(0x02, "a") + frame(0x80, big)),
            (std::vector<seen>{{frame_kind::binary, "a" + big}}));
  // An empty first fragment and a close in the middle of a message.
  EXPECT_EQ(read_all(frame(0x01, "") + frame(0x88, bytes({0x03, 0xe9}))),
            (std::vector<seen>{{frame_kind::close, "", 1001}}));
}

TEST_P(FrameReader, ProtocolErrors) {
  for (int rsv : {0x40, 0x20, 0x10})
    EXPECT_EQ(read_all(frame(0x81 | rsv, "x")),
              (std::vector<seen>{error(frame_error::reserved_bits)}));
  for (int op : {3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf})
    EXPECT_EQ(read_all(frame(0x80 | op, "x")), (std::vector<seen>{error(frame_error::bad_opcode)}))
        << op;
  // A frame masked the wrong way, refused on its first two bytes.
  if (current_role == role::client)
    EXPECT_EQ(read_all(bytes({0x81, 0x85})), (std::vector<seen>{error(frame_error::masked_frame)}));
  else
    EXPECT_EQ(read_all(bytes({0x81, 0x05})),
              (std::vector<seen>{error(frame_error::unmasked_frame)}));
  EXPECT_EQ(read_all(frame(0x09, "x")), (std::vector<seen>{error(frame_error::bad_control_frame)}));
  EXPECT_EQ(read_all(frame(0x89, std::string(126, 'p'))),
            (std::vector<seen>{error(frame_error::bad_control_frame)}));
  EXPECT_EQ(read_all(frame(0x80, "x")),
            (std::vector<seen>{error(frame_error::unexpected_continuation)}));
  EXPECT_EQ(read_all(frame(0x01, "a") + text("b")),
            (std::vector<seen>{error(frame_error::expected_continuation)}));
  // Lengths not in their shortest form, and a 64-bit length with its top bit set.
  EXPECT_EQ(read_all(frame(0x81, "short", 2)), (std::vector<seen>{error(frame_error::bad_length)}));
  EXPECT_EQ(read_all(frame(0x81, std::string(300, 'x'), 8)),
            (std::vector<seen>{error(frame_error::bad_length)}));
  EXPECT_EQ(read_all(bytes({0x82, len(0x7f), 0x80, 0, 0, 0, 0, 0, 0, 1})),
            (std::vector<seen>{error(frame_error::bad_length)}));
}

TEST_P(FrameReader, ErrorsAreSticky) {
  frame_reader r(current_role, max_size);
  feed(r, text("ok") + frame(0xc1, "x") + text("never"));
  EXPECT_EQ(r.next().kind, frame_kind::text);
  EXPECT_EQ(r.next().error, frame_error::reserved_bits);
  EXPECT_EQ(r.next().error, frame_error::reserved_bits);
  feed(r, text("more"));
  EXPECT_EQ(r.next().kind, frame_kind::error);
}

TEST_P(FrameReader, MessageSizeLimit) {
  EXPECT_EQ(read_all(binary(std::string(100, 'x')), 100),
            (std::vector<seen>{{frame_kind::binary, std::string(100, 'x')}}));
  EXPECT_EQ(read_all(binary(std::string(101, 'x')), 100),
            (std::vector<seen>{error(frame_error::message_too_big)}));
  // Over the limit only with all its fragments.
  EXPECT_EQ(read_all(frame(0x02, std::string(60, 'x')) + frame(0x80, std::string(41, 'y')), 100),
            (std::vector<seen>{error(frame_error::message_too_big)}));
  // Refused on its header, before the payload is there: a 2^62-byte frame is not waited for.
  EXPECT_EQ(read_all(bytes({0x82, len(0x7f), 0x40, 0, 0, 0, 0, 0, 0, 0})),
            (std::vector<seen>{error(frame_error::message_too_big)}));
}

// A stream of every kind of frame, split at every byte (and fed a byte at a time), gives the
// same events as the whole stream at once.
TEST_P(FrameReader, SplitAtEveryByte) {
  std::string input = text("40{\"sid\":\"x\"}") + binary(std::string(200, 'b')) +
                      frame(0x89, "ping") + frame(0x01, "42[\"a\",") + frame(0x89, "mid") +
                      frame(0x80, "1]");
  // Inside the payload of the frame with a 64-bit length, cuts are sparse (a cut there splits
  // nothing new, and every one of them copies the whole input).
  const std::size_t long_payload = input.size() + 10;
  input += binary(std::string(70000, 'L')) + text("") + frame(0x88, bytes({0x03, 0xe8}) + "done");
  const auto whole = read_all(input);
  ASSERT_EQ(whole.size(), 8u);
  EXPECT_EQ(whole[4], (seen{frame_kind::text, "42[\"a\",1]"}));
  EXPECT_EQ(whole.back(), (seen{frame_kind::close, "done", 1000}));

  for (std::size_t cut = 0; cut <= input.size();
       cut += cut > long_payload && cut + 1000 < long_payload + 70000 ? 997 : 1) {
    frame_reader r(current_role, max_size);
    std::vector<seen> got;
    feed(r, std::string_view(input).substr(0, cut));
    drain(r, got);
    feed(r, std::string_view(input).substr(cut));
    drain(r, got);
    ASSERT_EQ(got, whole) << "cut at " << cut;
  }
  frame_reader r(current_role, max_size);
  std::vector<seen> got;
  for (char c : input) {
    r.append(std::string_view(&c, 1));
    drain(r, got);
  }
  EXPECT_EQ(got, whole);
  EXPECT_EQ(r.buffered(), 0u);
}

TEST_P(FrameReader, ManyFramesInOneRead) {
  std::string input;
  for (int i = 0; i < 2000; ++i) input += text("42[\"message\"," + std::to_string(i) + "]");
  frame_reader r(current_role, max_size);
  std::vector<seen> got;
  while (!input.empty()) {  // reads of the size the reader offers, as from a socket
    auto region = r.prepare();
    std::size_t n = std::min(region.size(), input.size());
    std::memcpy(region.data(), input.data(), n);
    r.commit(n);
    input.erase(0, n);
    drain(r, got);
  }
  ASSERT_EQ(got.size(), 2000u);
  EXPECT_EQ(got[1999].payload, "42[\"message\",1999]");
  EXPECT_EQ(r.buffered(), 0u);
}

TEST_P(FrameReader, BigMessageGrowsTheBufferThenReleasesIt) {
  std::string payload(3 << 20, 'z');
  payload[12345] = 'q';
  std::string input = binary(payload) + text("after");
  frame_reader r(current_role, 8 << 20);
  std::vector<seen> got;
  std::size_t offset = 0;
  while (offset < input.size()) {
    auto region = r.prepare();
    std::size_t n = std::min<std::size_t>({region.size(), input.size() - offset, 50000});
    std::memcpy(region.data(), input.data() + offset, n);
    r.commit(n);
    offset += n;
    drain(r, got);
  }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].payload, payload);
  EXPECT_EQ(got[1], (seen{frame_kind::text, "after"}));
  // Empty again: the next region comes from a buffer of the usual size.
  EXPECT_LT(r.prepare().size(), std::size_t{1} << 20);
}

TEST_P(FrameReader, AppendAfterPartialFrameKeepsOrder) {
  // What an HTTP response's read may leave: the start of the first frame.
  std::string input = text("0{\"sid\":\"s\"}") + text("3probe");
  frame_reader r(current_role, max_size);
  r.append(std::string_view(input).substr(0, 5));
  EXPECT_EQ(r.next().kind, frame_kind::need_more);
  EXPECT_EQ(r.buffered(), 5u);
  feed(r, std::string_view(input).substr(5));
  auto e = r.next();
  EXPECT_EQ(e.kind, frame_kind::text);
  EXPECT_EQ(e.payload, "0{\"sid\":\"s\"}");
  e = r.next();
  EXPECT_EQ(e.payload, "3probe");
  EXPECT_EQ(r.next().kind, frame_kind::need_more);
}

TEST_P(FrameReader, Utf8OfTextMessagesAndCloseReasons) {
  EXPECT_EQ(read_all(text("4\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80")),
            (std::vector<seen>{{frame_kind::text, "4\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80"}}));
  EXPECT_EQ(read_all(text("\xff\xfe")), (std::vector<seen>{error(frame_error::bad_utf8)}));
  // Binary messages are not checked.
  EXPECT_EQ(read_all(binary("\xff\xfe")), (std::vector<seen>{{frame_kind::binary, "\xff\xfe"}}));
  // A character split across fragments is whole in the message; a truncated one is not.
  EXPECT_EQ(read_all(frame(0x01, "\xc3") + frame(0x80, "\xa9")),
            (std::vector<seen>{{frame_kind::text, "\xc3\xa9"}}));
  EXPECT_EQ(read_all(frame(0x01, "ok") + frame(0x80, "\xc3")),
            (std::vector<seen>{error(frame_error::bad_utf8)}));
  EXPECT_EQ(read_all(frame(0x88, bytes({0x03, 0xe8}) + "\xc0\xaf")),
            (std::vector<seen>{error(frame_error::bad_utf8)}));
}

TEST_P(FrameReader, WriterOutputReadsBack) {
  // What append_frame writes for the reader's peer reads back as what was written.
  std::optional<std::uint32_t> mask;
  if (current_role == role::server) mask = 0x01020304;
  std::string out;
  append_frame(out, opcode::text, "42[\"a\"]", mask);
  append_frame(out, opcode::ping, "p", mask);
  append_frame(out, opcode::binary, std::string(70000, '\x01'), mask, false);
  append_frame(out, opcode::pong, "", mask);
  append_frame(out, opcode::continuation, "\x02", mask);
  append_close(out, 1001, "going", mask);
  EXPECT_EQ(read_all(out),
            (std::vector<seen>{{frame_kind::text, "42[\"a\"]"},
                               {frame_kind::ping, "p"},
                               {frame_kind::pong, ""},
                               {frame_kind::binary, std::string(70000, '\x01') + "\x02"},
                               {frame_kind::close, "going", 1001}}));
}

INSTANTIATE_TEST_SUITE_P(Roles, FrameReader, testing::Values(role::server, role::client),
                         [](const auto& info) {
                           return std::string(info.param == role::server ? "Server" : "Client");
                         });

TEST(FrameReaderBuffer, ReadSizeByRole) {
  // A server's idle connection holds a small buffer; a client reads large batches.
  frame_reader server(role::server, max_size);
  EXPECT_GE(server.prepare().size(), frame_reader::server_read_size);
  EXPECT_LT(server.prepare().size(), frame_reader::client_read_size);
  frame_reader client(role::client, max_size);
  EXPECT_GE(client.prepare().size(), frame_reader::client_read_size);
  // A message bigger than the read size still fits: prepare() grows the buffer on demand.
  EXPECT_GE(server.prepare(100000).size(), 100000u);
}

TEST(FrameReaderErrors, CloseCodes) {
  EXPECT_EQ(close_code_for(frame_error::message_too_big), 1009);
  EXPECT_EQ(close_code_for(frame_error::bad_utf8), 1007);
  for (auto e : {frame_error::reserved_bits, frame_error::bad_opcode, frame_error::masked_frame,
                 frame_error::unmasked_frame, frame_error::bad_length,
                 frame_error::bad_control_frame, frame_error::unexpected_continuation,
                 frame_error::expected_continuation, frame_error::bad_close_payload})
    EXPECT_EQ(close_code_for(e), 1002) << to_string(e);
}

}  // namespace
}  // namespace kasocki::websocket
