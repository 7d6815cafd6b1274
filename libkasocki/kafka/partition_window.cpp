// partition_window: copy-in, eviction and reads by offset. Pure.
#include "libkasocki/kafka/partition_window.hpp"

#include <algorithm>

namespace kasocki::kafka {
namespace {
// What a kept message costs besides its bytes: its view, its slot, deque and vector slack.
constexpr std::size_t per_message_overhead = sizeof(message_view) + sizeof(annotation_slot) + 16;
}  // namespace

std::span<const message_view> partition_window::append(std::span<const message_view> messages) {
  if (messages.empty()) return {};
  chunk c;
  c.begin = end_;
  c.end = messages.back().offset + 1;
  auto storage = std::make_shared<chunk_storage>();
  std::size_t size = messages.front().topic.size();
  for (const auto& m : messages) size += m.value.size() + (m.key ? m.key->size() : 0);
  storage->bytes.reserve(size);
  storage->slots.resize(messages.size());
  // Offsets into the buffer first (it must not grow while views point into it).
  storage->bytes.append(messages.front().topic);
  struct placed {
    std::size_t value = 0, key = 0;
  };
  std::vector<placed> where(messages.size());
  for (std::size_t i = 0; i < messages.size(); ++i) {
    where[i].value = storage->bytes.size();
    storage->bytes.append(messages[i].value);
    where[i].key = storage->bytes.size();
    if (messages[i].key) storage->bytes.append(*messages[i].key);
  }
  const char* base = storage->bytes.data();
  const std::string_view topic(base, messages.front().topic.size());
  c.messages.reserve(messages.size());
  for (std::size_t i = 0; i < messages.size(); ++i) {
    message_view v = messages[i];
    v.topic = topic;
    v.value = std::string_view(base + where[i].value, messages[i].value.size());
    if (v.key) v.key = std::string_view(base + where[i].key, messages[i].key->size());
    v.annotation = &storage->slots[i];
    c.messages.push_back(v);
  }
  c.bytes = size + messages.size() * per_message_overhead;
  c.storage = std::move(storage);
  bytes_ += c.bytes;
  end_ = c.end;
  chunks_.push_back(std::move(c));
  return chunks_.back().messages;
}

void partition_window::charge_last(std::size_t extra) {
  if (chunks_.empty()) return;
  chunks_.back().bytes += extra;
  bytes_ += extra;
}

std::size_t partition_window::evict_oldest() {
  if (chunks_.empty()) return 0;
  const std::size_t freed = chunks_.front().bytes;
  first_ = chunks_.front().end;
  chunks_.pop_front();
  bytes_ -= freed;
  return freed;
}

message_batch partition_window::read(std::int64_t from, std::size_t max) const {
  if (from >= end_ || max == 0) return {};
  // The chunk whose range [begin, end) holds `from`.
  auto it = std::upper_bound(chunks_.begin(), chunks_.end(), from,
                             [](std::int64_t o, const chunk& c) { return o < c.end; });
  if (it == chunks_.end()) return {};
  // At the live end a chunk holds the few messages of one fetch: a reader behind takes many
  // chunks at once, so that its frames leave in few writes.
  std::vector<message_view> out;
  std::vector<std::shared_ptr<const chunk_storage>> storages;
  for (; it != chunks_.end() && out.size() < max; ++it) {
    auto first =
        std::lower_bound(it->messages.begin(), it->messages.end(), from,
                         [](const message_view& m, std::int64_t o) { return m.offset < o; });
    const auto count = std::min<std::size_t>(max - out.size(),
                                             static_cast<std::size_t>(it->messages.end() - first));
    if (count == 0) continue;
    out.insert(out.end(), first, first + static_cast<std::ptrdiff_t>(count));
    storages.push_back(it->storage);
  }
  if (storages.size() == 1) return message_batch(std::move(out), {}, std::move(storages.front()));
  return message_batch(std::move(out), {},
                       std::make_shared<const std::vector<std::shared_ptr<const chunk_storage>>>(
                           std::move(storages)));
}

}  // namespace kasocki::kafka
