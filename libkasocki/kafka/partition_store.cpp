// partition_store: appends that never overlap what is cached, reads within a range, erasure.
// Pure.
#include "libkasocki/kafka/partition_store.hpp"

#include <algorithm>

namespace kasocki::kafka {
namespace {
// What a kept message costs besides its bytes: its view, its slot, vector slack.
constexpr std::size_t per_message_overhead = sizeof(message_view) + sizeof(annotation_slot) + 16;
constexpr std::size_t per_chunk_overhead = sizeof(stored_chunk) + sizeof(chunk_storage) + 64;
}  // namespace

const stored_chunk* partition_store::find(std::int64_t offset) const {
  auto it = chunks_.upper_bound(offset);
  if (it == chunks_.begin()) return nullptr;
  --it;
  return offset < it->second.end ? &it->second : nullptr;
}

stored_chunk* partition_store::find(std::int64_t offset) {
  return const_cast<stored_chunk*>(std::as_const(*this).find(offset));
}

stored_chunk* partition_store::chunk_at(std::int64_t begin) {
  auto it = chunks_.find(begin);
  return it == chunks_.end() ? nullptr : &it->second;
}

std::int64_t partition_store::range_end(std::int64_t offset, std::size_t max_chunks) const {
  const auto* c = find(offset);
  if (c == nullptr) return offset;
  std::int64_t end = c->end;
  auto it = chunks_.find(c->begin);
  for (std::size_t n = 0; n < max_chunks; ++n) {
    ++it;
    if (it == chunks_.end() || it->first != end) break;
    end = it->second.end;
  }
  return end;
}

std::optional<std::int64_t> partition_store::next_begin(std::int64_t offset) const {
  auto it = chunks_.upper_bound(offset);
  if (it == chunks_.end()) return std::nullopt;
  return it->first;
}

stored_chunk& partition_store::add(std::int64_t at, std::int64_t end,
                                   std::span<const message_view> messages, bool live,
                                   const prepare_hook& prepare) {
  stored_chunk c;
  c.begin = at;
  c.end = end;
  c.live = live;
  c.fetched = !live;
  auto storage = std::make_shared<chunk_storage>();
  std::size_t size = messages.empty() ? 0 : messages.front().topic.size();
  for (const auto& m : messages) size += m.value.size() + (m.key ? m.key->size() : 0);
  storage->bytes.reserve(size);
  storage->slots.resize(messages.size());
  // Offsets into the buffer first (it must not grow while views point into it).
  struct placed {
    std::size_t value = 0, key = 0;
  };
  std::vector<placed> where(messages.size());
  if (!messages.empty()) storage->bytes.append(messages.front().topic);
  for (std::size_t i = 0; i < messages.size(); ++i) {
    where[i].value = storage->bytes.size();
    storage->bytes.append(messages[i].value);
    where[i].key = storage->bytes.size();
    if (messages[i].key) storage->bytes.append(*messages[i].key);
  }
  const char* base = storage->bytes.data();
  const std::string_view topic =
      messages.empty() ? std::string_view() : std::string_view(base, messages.front().topic.size());
  c.messages.reserve(messages.size());
  for (std::size_t i = 0; i < messages.size(); ++i) {
    message_view v = messages[i];
    v.topic = topic;
    v.value = std::string_view(base + where[i].value, messages[i].value.size());
    if (v.key) v.key = std::string_view(base + where[i].key, messages[i].key->size());
    v.annotation = &storage->slots[i];
    c.messages.push_back(v);
  }
  c.bytes = size + messages.size() * per_message_overhead + per_chunk_overhead;
  if (prepare)
    for (const auto& m : c.messages) c.bytes += prepare(m);
  c.storage = std::move(storage);
  bytes_ += c.bytes;
  return chunks_.emplace(at, std::move(c)).first->second;
}

append_result partition_store::append(std::int64_t at, std::span<const message_view> messages,
                                      bool live, const prepare_hook& prepare) {
  append_result out;
  std::int64_t cur = at;
  std::size_t i = 0;
  while (i < messages.size() && messages[i].offset < cur) ++i;
  while (i < messages.size()) {
    if (const auto* c = find(cur)) {  // someone cached these already: skip them
      cur = c->end;
      out.reached_cached = true;
      while (i < messages.size() && messages[i].offset < cur) ++i;
      continue;
    }
    const auto next = next_begin(cur);
    // The run of messages before the next cached chunk, within the chunk limits.
    std::size_t n = 0, size = 0;
    while (i + n < messages.size() && n < limits_.max_messages &&
           (!next || messages[i + n].offset < *next)) {
      const auto& m = messages[i + n];
      const std::size_t s = m.value.size() + (m.key ? m.key->size() : 0);
      if (n > 0 && size + s > limits_.max_bytes) break;
      size += s;
      ++n;
    }
    if (n == 0) {  // the fetch skipped [cur, *next): nothing there, the ranges meet
      add(cur, *next, {}, live, prepare);
      out.created.push_back(cur);
      cur = *next;
      out.reached_cached = true;
      continue;
    }
    const auto end = messages[i + n - 1].offset + 1;
    add(cur, end, messages.subspan(i, n), live, prepare);
    out.created.push_back(cur);
    cur = end;
    i += n;
  }
  out.position = cur;
  if (!out.reached_cached && find(cur) != nullptr) out.reached_cached = true;
  return out;
}

std::optional<std::int64_t> partition_store::mark_reset(std::int64_t at, std::int64_t to,
                                                        std::int64_t reset_to) {
  if (at >= to || covers(at)) return std::nullopt;
  if (auto next = next_begin(at)) to = std::min(to, *next);
  auto& c = add(at, to, {}, false, {});
  c.reset_to = reset_to;
  return at;
}

store_read partition_store::read(std::int64_t from, std::size_t max) const {
  store_read out;
  out.next = from;
  max = std::max<std::size_t>(1, max);
  auto it = chunks_.upper_bound(from);
  if (it == chunks_.begin()) return out;
  --it;
  if (from >= it->second.end) return out;
  if (it->second.reset_to) {
    out.reset_to = std::max(*it->second.reset_to, it->second.end);
    out.next = *out.reset_to;
    out.touched.push_back(it->first);
    return out;
  }
  // A reader behind takes many chunks at once, so that its frames leave in few writes.
  std::vector<message_view> messages;
  std::vector<std::shared_ptr<const chunk_storage>> storages;
  std::int64_t end = from;
  for (; it != chunks_.end() && it->first <= end && !it->second.reset_to; ++it) {
    const auto& c = it->second;
    auto first =
        std::lower_bound(c.messages.begin(), c.messages.end(), from,
                         [](const message_view& m, std::int64_t o) { return m.offset < o; });
    const auto left = static_cast<std::size_t>(c.messages.end() - first);
    const auto count = std::min(max - messages.size(), left);
    out.touched.push_back(c.begin);
    if (count > 0) {
      messages.insert(messages.end(), first, first + static_cast<std::ptrdiff_t>(count));
      storages.push_back(c.storage);
    }
    if (count < left) {  // full: the cursor goes past the last message taken
      end = messages.back().offset + 1;
      break;
    }
    end = c.end;
    if (messages.size() >= max) break;
  }
  out.next = end;
  if (storages.size() == 1) {
    out.batch = message_batch(std::move(messages), {}, std::move(storages.front()));
  } else if (!storages.empty()) {
    out.batch =
        message_batch(std::move(messages), {},
                      std::make_shared<const std::vector<std::shared_ptr<const chunk_storage>>>(
                          std::move(storages)));
  }
  return out;
}

std::size_t partition_store::erase(std::int64_t begin) {
  auto it = chunks_.find(begin);
  if (it == chunks_.end()) return 0;
  const std::size_t freed = it->second.bytes;
  bytes_ -= freed;
  chunks_.erase(it);
  return freed;
}

std::size_t partition_store::ranges() const {
  std::size_t n = 0;
  std::int64_t end = -1;
  for (const auto& [begin, c] : chunks_) {
    if (begin != end) ++n;
    end = c.end;
  }
  return n;
}

}  // namespace kasocki::kafka
