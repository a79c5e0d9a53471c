#pragma once
// An allocator that is only operator new and delete, for the operations a
// connection leaves pending while it is idle. Without one, Asio takes an
// operation's memory from its per-thread cache of freed blocks, which hands
// out whichever block was freed last if it is big enough: a 100-byte wait
// would then sit for minutes in a 500-byte block.

#include <cstddef>
#include <new>

namespace bakewind::http::detail {

template <class T>
struct plain_allocator {
  using value_type = T;

  plain_allocator() = default;
  template <class U>
  plain_allocator(const plain_allocator<U>&) noexcept {}

  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T))); }
  void deallocate(T* p, std::size_t) noexcept { ::operator delete(p); }

  template <class U>
  bool operator==(const plain_allocator<U>&) const noexcept {
    return true;
  }
};

}  // namespace bakewind::http::detail
