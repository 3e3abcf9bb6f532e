// UTF-8 well-formedness as RFC 3629 defines it (no overlong forms, no
// surrogates, nothing above U+10FFFF): what protobuf requires of a proto3
// `string` field (it refuses to parse one that is not) and what a browser
// reads without replacement characters.
//
// Header-only pure functions; thread-safe.
#ifndef EDGEPIPE_CORE_UTF8_H_
#define EDGEPIPE_CORE_UTF8_H_

#include <cstddef>
#include <string_view>

namespace edgepipe {

// Length (1-4) of the well-formed UTF-8 sequence starting at s[i], or 0 if
// none starts there (a continuation byte, an invalid lead byte, an overlong
// form, a surrogate, a code point above U+10FFFF, or a sequence cut short).
// `i` must be < s.size().
inline size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;  // the range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    n = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    n = 3;
    if (lead == 0xE0) lo = 0xA0;  // overlong below U+0800
    if (lead == 0xED) hi = 0x9F;  // surrogates U+D800..U+DFFF
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    n = 4;
    if (lead == 0xF0) lo = 0x90;  // overlong below U+10000
    if (lead == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;  // continuation byte, C0/C1 (overlong), F5..FF
  }
  if (s.size() - i < n || byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return n;
}

// Offset of the first byte of `s` that does not start a well-formed UTF-8
// sequence, or std::string_view::npos when all of `s` is well-formed.
inline size_t FirstInvalidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t n = Utf8SequenceLength(s, i);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

inline bool IsValidUtf8(std::string_view s) {
  return FirstInvalidUtf8(s) == std::string_view::npos;
}

}  // namespace edgepipe

#endif  // EDGEPIPE_CORE_UTF8_H_
