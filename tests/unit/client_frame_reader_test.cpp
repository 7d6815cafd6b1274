// Unit tests for client/frame_reader.hpp: every frame form a server may send (RFC 6455 5.2),
// fragmented messages with control frames between the fragments, every protocol error, inputs
// split at every byte, and the buffer's growth, compaction and release.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "client/frame_reader.hpp"

namespace kasocki::client {
namespace {

constexpr std::size_t max_size = 1 << 20;

std::string bytes(std::initializer_list<int> list) {
  std::string out;
  for (int b : list) out += static_cast<char>(b);
  return out;
}

// One unmasked frame. `length_bytes` forces a length form (0: the shortest one).
std::string frame(int first_byte, std::string_view payload, int length_bytes = 0) {
  std::string out(1, static_cast<char>(first_byte));
  const std::uint64_t n = payload.size();
  if (length_bytes == 0) length_bytes = n < 126 ? 1 : n <= 0xffff ? 2 : 8;
  if (length_bytes == 1) {
    out += static_cast<char>(n);
  } else {
    out += static_cast<char>(length_bytes == 2 ? 126 : 127);
    for (int shift = (length_bytes - 1) * 8; shift >= 0; shift -= 8)
      out += static_cast<char>((n >> shift) & 0xff);
  }
  out += payload;
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
  ASSERT_GE(region.size(), frame_reader::min_read);
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
  frame_reader r(max);
  feed(r, data);
  std::vector<seen> out;
  drain(r, out);
  return out;
}

seen error(frame_error e) {
  return {frame_kind::error, "", 0, e};
}

TEST(ClientFrameReader, SingleFrames) {
  EXPECT_EQ(read_all(text("4hello")), (std::vector<seen>{{frame_kind::text, "4hello"}}));
  EXPECT_EQ(read_all(binary(bytes({0, 1, 0xff}))),
            (std::vector<seen>{{frame_kind::binary, bytes({0, 1, 0xff})}}));
  EXPECT_EQ(read_all(text("")), (std::vector<seen>{{frame_kind::text, ""}}));
  EXPECT_EQ(read_all(frame(0x89, "beat")), (std::vector<seen>{{frame_kind::ping, "beat"}}));
  EXPECT_EQ(read_all(frame(0x8a, "")), (std::vector<seen>{{frame_kind::pong, ""}}));
}

TEST(ClientFrameReader, LengthForms) {
  for (std::size_t n : {0, 125, 126, 65535, 65536, 70000}) {
    std::string payload(n, '\0');
    for (std::size_t i = 0; i < n; ++i) payload[i] = static_cast<char>(i * 13);
    std::string f = binary(payload);
    EXPECT_EQ(f.size() - n, n < 126 ? 2u : n <= 0xffff ? 4u : 10u);
    EXPECT_EQ(read_all(f), (std::vector<seen>{{frame_kind::binary, payload}})) << n;
  }
  // RFC 6455 5.7's 64-bit example: a 65536-byte binary message.
  EXPECT_EQ(binary(std::string(65536, 'x')).substr(0, 10),
            bytes({0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0}));
}

TEST(ClientFrameReader, CloseFrames) {
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

TEST(ClientFrameReader, FragmentsWithControlFramesBetween) {
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

TEST(ClientFrameReader, ProtocolErrors) {
  for (int rsv : {0x40, 0x20, 0x10})
    EXPECT_EQ(read_all(frame(0x81 | rsv, "x")),
              (std::vector<seen>{error(frame_error::reserved_bits)}));
  for (int op : {3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf})
    EXPECT_EQ(read_all(frame(0x80 | op, "x")), (std::vector<seen>{error(frame_error::bad_opcode)}))
        << op;
  // A masked frame, refused on its first two bytes.
  EXPECT_EQ(read_all(bytes({0x81, 0x85})), (std::vector<seen>{error(frame_error::masked_frame)}));
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
  EXPECT_EQ(read_all(bytes({0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 1})),
            (std::vector<seen>{error(frame_error::bad_length)}));
}

TEST(ClientFrameReader, ErrorsAreSticky) {
  frame_reader r(max_size);
  feed(r, text("ok") + frame(0xc1, "x") + text("never"));
  EXPECT_EQ(r.next().kind, frame_kind::text);
  EXPECT_EQ(r.next().error, frame_error::reserved_bits);
  EXPECT_EQ(r.next().error, frame_error::reserved_bits);
  feed(r, text("more"));
  EXPECT_EQ(r.next().kind, frame_kind::error);
}

TEST(ClientFrameReader, MessageSizeLimit) {
  EXPECT_EQ(read_all(binary(std::string(100, 'x')), 100),
            (std::vector<seen>{{frame_kind::binary, std::string(100, 'x')}}));
  EXPECT_EQ(read_all(binary(std::string(101, 'x')), 100),
            (std::vector<seen>{error(frame_error::message_too_big)}));
  // Over the limit only with all its fragments.
  EXPECT_EQ(read_all(frame(0x02, std::string(60, 'x')) + frame(0x80, std::string(41, 'y')), 100),
            (std::vector<seen>{error(frame_error::message_too_big)}));
  // Refused on its header, before the payload is there: a 2^62-byte frame is not waited for.
  EXPECT_EQ(read_all(bytes({0x82, 0x7f, 0x40, 0, 0, 0, 0, 0, 0, 0})),
            (std::vector<seen>{error(frame_error::message_too_big)}));
}

// A stream of every kind of frame, split at every byte (and fed a byte at a time), gives the
// same events as the whole stream at once.
TEST(ClientFrameReader, SplitAtEveryByte) {
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
    frame_reader r(max_size);
    std::vector<seen> got;
    feed(r, std::string_view(input).substr(0, cut));
    drain(r, got);
    feed(r, std::string_view(input).substr(cut));
    drain(r, got);
    ASSERT_EQ(got, whole) << "cut at " << cut;
  }
  frame_reader r(max_size);
  std::vector<seen> got;
  for (char c : input) {
    r.append(std::string_view(&c, 1));
    drain(r, got);
  }
  EXPECT_EQ(got, whole);
  EXPECT_EQ(r.buffered(), 0u);
}

TEST(ClientFrameReader, ManyFramesInOneRead) {
  std::string input;
  for (int i = 0; i < 2000; ++i) input += text("42[\"message\"," + std::to_string(i) + "]");
  frame_reader r(max_size);
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

TEST(ClientFrameReader, BigMessageGrowsTheBufferThenReleasesIt) {
  std::string payload(3 << 20, 'z');
  payload[12345] = 'q';
  std::string input = binary(payload) + text("after");
  frame_reader r(8 << 20);
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

TEST(ClientFrameReader, AppendAfterPartialFrameKeepsOrder) {
  // What an HTTP response's read may leave: the start of the first frame.
  std::string input = text("0{\"sid\":\"s\"}") + text("3probe");
  frame_reader r(max_size);
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

}  // namespace
}  // namespace kasocki::client
