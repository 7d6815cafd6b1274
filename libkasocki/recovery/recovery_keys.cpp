// See recovery_keys.hpp.
#include "libkasocki/recovery/recovery_keys.hpp"

#include <array>
#include <cstring>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

namespace kasocki::recovery {

namespace {

constexpr std::string_view pid_label = "kasocki-pid-1";
constexpr std::string_view cursor_label = "kasocki-cursor-1";
constexpr std::uint8_t pid_version = 1;
constexpr std::size_t pid_random_bytes = 12;
constexpr std::size_t pid_time_bytes = 5;
constexpr std::size_t pid_signed_bytes = 1 + pid_random_bytes + pid_time_bytes;
constexpr std::size_t pid_tag_bytes = 16;
constexpr std::size_t cursor_tag_bytes = 10;
// A pid issued this far in the future of a server's clock still verifies (clock skew between
// the servers of one cluster).
constexpr std::chrono::seconds clock_skew{300};

EVP_MAC* hmac() {
  static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  return mac;
}

// A keyed HMAC-SHA256 context, freed with its owner.
struct mac_ctx {
  EVP_MAC_CTX* ctx = nullptr;
  explicit mac_ctx(EVP_MAC_CTX* c) : ctx(c) {}
  explicit mac_ctx(std::string_view key) : ctx(EVP_MAC_CTX_new(hmac())) {
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                           OSSL_PARAM_construct_end()};
    EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(key.data()), key.size(), params);
  }
  ~mac_ctx() { EVP_MAC_CTX_free(ctx); }
  mac_ctx(const mac_ctx&) = delete;
  mac_ctx& operator=(const mac_ctx&) = delete;
  void update(std::string_view bytes) {
    EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  }
  std::array<unsigned char, 32> final() {
    std::array<unsigned char, 32> out{};
    std::size_t length = 0;
    EVP_MAC_final(ctx, out.data(), &length, out.size());
    return out;
  }
};

void feed_cursor_prefix(mac_ctx& mac, std::string_view pid) {
  mac.update(cursor_label);
  std::string length;
  put_varint(pid.size(), length);
  mac.update(length);
  mac.update(pid);
}

std::array<unsigned char, 32> pid_tag(std::string_view secret, std::string_view signed_bytes) {
  mac_ctx mac(secret);
  mac.update(pid_label);
  mac.update(signed_bytes);
  return mac.final();
}

std::array<unsigned char, 32> cursor_tag(std::string_view secret, std::string_view pid,
                                         std::string_view state_bytes) {
  mac_ctx mac(secret);
  feed_cursor_prefix(mac, pid);
  mac.update(state_bytes);
  return mac.final();
}

bool same_tag(const std::array<unsigned char, 32>& full, std::string_view tag) {
  return tag.size() <= full.size() && CRYPTO_memcmp(full.data(), tag.data(), tag.size()) == 0;
}

constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int sextet(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

}  // namespace

void base64url_encode(std::string_view bytes, std::string& out) {
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = (static_cast<std::uint8_t>(bytes[i]) << 16) |
                            (static_cast<std::uint8_t>(bytes[i + 1]) << 8) |
                            static_cast<std::uint8_t>(bytes[i + 2]);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 0) return;
  std::uint32_t v = static_cast<std::uint8_t>(bytes[i]) << 16;
  if (rest == 2) v |= static_cast<std::uint8_t>(bytes[i + 1]) << 8;
  out += alphabet[(v >> 18) & 63];
  out += alphabet[(v >> 12) & 63];
  if (rest == 2) out += alphabet[(v >> 6) & 63];
}

std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    const int v = sextet(c);
    if (v < 0) return std::nullopt;
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xff));
    }
  }
  // The bits left over must be zero: one text per byte string.
  if ((bits & ((1u << count) - 1)) != 0) return std::nullopt;
  return out;
}

std::vector<std::string> parse_secret_lines(std::string_view text) {
  std::vector<std::string> secrets;
  while (!text.empty()) {
    auto end = text.find('\n');
    auto line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    while (!line.empty() && std::strchr(" \t\r", line.front())) line.remove_prefix(1);
    while (!line.empty() && std::strchr(" \t\r", line.back())) line.remove_suffix(1);
    if (!line.empty() && line.front() != '#') secrets.emplace_back(line);
  }
  return secrets;
}

recovery_keys::recovery_keys(std::vector<std::string> secrets) : secrets_(std::move(secrets)) {}

std::string recovery_keys::issue_pid(std::chrono::system_clock::time_point now) const {
  std::string bytes(pid_signed_bytes, '\0');
  bytes[0] = static_cast<char>(pid_version);
  RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data() + 1), pid_random_bytes);
  const auto seconds = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
  for (std::size_t i = 0; i < pid_time_bytes; ++i)
    bytes[1 + pid_random_bytes + i] =
        static_cast<char>((seconds >> (8 * (pid_time_bytes - 1 - i))) & 0xff);
  const auto tag = pid_tag(secrets_.front(), bytes);
  bytes.append(reinterpret_cast<const char*>(tag.data()), pid_tag_bytes);
  std::string pid;
  base64url_encode(bytes, pid);
  return pid;
}

recovery_result<std::chrono::system_clock::time_point> recovery_keys::verify_pid(
    std::string_view pid) const {
  auto bytes = base64url_decode(pid);
  if (!bytes || bytes->size() != pid_signed_bytes + pid_tag_bytes ||
      static_cast<std::uint8_t>((*bytes)[0]) != pid_version)
    return recovery_error{recovery_errc::malformed};
  const std::string_view signed_bytes = std::string_view(*bytes).substr(0, pid_signed_bytes);
  const std::string_view tag = std::string_view(*bytes).substr(pid_signed_bytes);
  bool verified = false;
  for (const auto& secret : secrets_) verified |= same_tag(pid_tag(secret, signed_bytes), tag);
  if (!verified) return recovery_error{recovery_errc::bad_signature};
  std::uint64_t seconds = 0;
  for (std::size_t i = 0; i < pid_time_bytes; ++i)
    seconds = (seconds << 8) | static_cast<std::uint8_t>((*bytes)[1 + pid_random_bytes + i]);
  return std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
}

std::string recovery_keys::sign_cursor(std::string_view pid, const session_state& state) const {
  std::string bytes;
  encode_state(state, bytes);
  const auto tag = cursor_tag(secrets_.front(), pid, bytes);
  bytes.append(reinterpret_cast<const char*>(tag.data()), cursor_tag_bytes);
  std::string cursor;
  base64url_encode(bytes, cursor);
  return cursor;
}

recovery_result<recovered_state> recovery_keys::open(std::string_view pid, std::string_view cursor,
                                                     std::chrono::system_clock::time_point now,
                                                     std::chrono::seconds window) const {
  auto issued = verify_pid(pid);
  if (!issued) return issued.error();
  auto bytes = base64url_decode(cursor);
  if (!bytes || bytes->size() <= cursor_tag_bytes) return recovery_error{recovery_errc::malformed};
  const std::string_view all(*bytes);
  const auto state_bytes = all.substr(0, all.size() - cursor_tag_bytes);
  const auto tag = all.substr(all.size() - cursor_tag_bytes);
  bool verified = false;
  for (const auto& secret : secrets_)
    verified |= same_tag(cursor_tag(secret, pid, state_bytes), tag);
  if (!verified) return recovery_error{recovery_errc::bad_signature};
  auto state = decode_state(state_bytes);
  if (!state) return state.error();
  const auto cursor_time = *issued + std::chrono::minutes(state->age_minutes);
  if (*issued > now + clock_skew || now - cursor_time > window)
    return recovery_error{recovery_errc::expired};
  return recovered_state{*issued, std::move(*state)};
}

// ---- cursor_signer ----

// One keyed context, re-initialised per cursor (EVP_MAC_init without a key keeps the key's
// precomputed state): a context copy per cursor costs several times more.
struct cursor_signer::impl {
  mac_ctx keyed;
  std::string prefix;  // what every cursor's HMAC starts with: the label and the pid
  explicit impl(std::string_view secret) : keyed(secret) {}
};

cursor_signer::cursor_signer(const recovery_keys& keys, std::string_view pid)
    : impl_(std::make_unique<impl>(keys.secrets().front())) {
  impl_->prefix = cursor_label;
  put_varint(pid.size(), impl_->prefix);
  impl_->prefix += pid;
}

cursor_signer::~cursor_signer() = default;

void cursor_signer::sign(std::string_view state_bytes, std::string& out) {
  auto& mac = impl_->keyed;
  EVP_MAC_init(mac.ctx, nullptr, 0, nullptr);
  mac.update(impl_->prefix);
  mac.update(state_bytes);
  const auto tag = mac.final();
  std::string bytes(state_bytes);
  bytes.append(reinterpret_cast<const char*>(tag.data()), cursor_tag_bytes);
  base64url_encode(bytes, out);
}

}  // namespace kasocki::recovery
