// Copyright (c) James Kassemi, SC, US. All rights reserved.
#include "scheduler/symbol_table.hpp"

#include <bit>

namespace ws_source::detail::sched {

namespace {

constexpr std::uint32_t tag_of(std::uint64_t slot) noexcept { return static_cast<std::uint32_t>(slot >> 32U); }
constexpr std::uint32_t id_of(std::uint64_t slot) noexcept { return static_cast<std::uint32_t>(slot) - 1; }
constexpr std::uint64_t make_slot(std::uint32_t tag, std::uint32_t id) noexcept {
  return (std::uint64_t{tag} << 32U) | (std::uint64_t{id} + 1);
}
constexpr std::uint32_t tag_of_hash(std::uint64_t h) noexcept { return static_cast<std::uint32_t>(h >> 32U); }

}  // namespace

std::uint32_t SymbolTable::find(const Symbol& s, std::uint64_t h) const noexcept {
  if (slots_.empty()) {
    return kNone;
  }
  const std::uint32_t tag = tag_of_hash(h);
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = home(tag);; i = (i + 1) & mask) {
    const std::uint64_t slot = slots_[i];
    if (slot == 0) {
      return kNone;
    }
    if (tag_of(slot) == tag && symbols_[id_of(slot)] == s) {
      return id_of(slot);
    }
  }
}

std::uint32_t SymbolTable::insert(const Symbol& s, std::uint64_t h) {
  if ((size_ + 1) * 4 > slots_.size() * 3) {
    grow_index();
  }
  std::uint32_t id = 0;
  if (!free_.empty()) {
    id = free_.back();
    free_.pop_back();
    symbols_[id] = s;
    hashes_[id] = h;
  } else {
    id = static_cast<std::uint32_t>(symbols_.size());
    symbols_.push_back(s);
    hashes_.push_back(h);
  }
  place(make_slot(tag_of_hash(h), id));
  ++size_;
  return id;
}

void SymbolTable::erase(std::uint32_t id) noexcept {
  const std::uint32_t tag = tag_of_hash(hashes_[id]);
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = home(tag);
  while (slots_[i] != make_slot(tag, id)) {
    i = (i + 1) & mask;
  }
  // Backward-shift deletion: move later entries of the probe run into the hole when their home is
  // not after it (cyclically), so that no tombstones are needed.
  for (std::size_t j = (i + 1) & mask; slots_[j] != 0; j = (j + 1) & mask) {
    const std::size_t k = home(tag_of(slots_[j]));
    if (i <= j ? (k <= i || k > j) : (k <= i && k > j)) {
      slots_[i] = slots_[j];
      i = j;
    }
  }
  slots_[i] = 0;
  symbols_[id] = Symbol{};
  free_.push_back(id);
  --size_;
}

void SymbolTable::place(std::uint64_t slot) noexcept {
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = home(tag_of(slot));
  while (slots_[i] != 0) {
    i = (i + 1) & mask;
  }
  slots_[i] = slot;
}

void SymbolTable::grow_index() {
  const std::size_t capacity = slots_.empty() ? 16 : slots_.size() * 2;
  std::vector<std::uint64_t> old = std::move(slots_);
  slots_.assign(capacity, 0);
  shift_ = static_cast<unsigned>(32 - std::countr_zero(capacity));
  for (const std::uint64_t slot : old) {
    if (slot != 0) {
      place(slot);
    }
  }
}

void SymbolTable::reserve(std::size_t n) {
  symbols_.reserve(n);
  hashes_.reserve(n);
  while (n * 4 > slots_.size() * 3) {
    grow_index();
  }
}

std::size_t SymbolTable::memory_bytes() const noexcept {
  return symbols_.capacity() * sizeof(Symbol) + hashes_.capacity() * sizeof(std::uint64_t) +
         free_.capacity() * sizeof(std::uint32_t) + slots_.capacity() * sizeof(std::uint64_t);
}

}  // namespace ws_source::detail::sched
