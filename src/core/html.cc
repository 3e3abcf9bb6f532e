#include "src/core/html.h"

#include <algorithm>

#include "src/core/utf8.h"

namespace edgepipe {

namespace {

void AppendByteEscape(std::string* out, unsigned char c) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  *out += "\\x";
  *out += kHex[c >> 4];
  *out += kHex[c & 15];
}

}  // namespace

void AppendHtmlText(std::string* out, std::string_view text, size_t max_chars) {
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++chars) {
    if (chars == max_chars) {
      *out += "&#8230;";
      return;
    }
    const unsigned char c = static_cast<unsigned char>(text[i]);
    const size_t n = Utf8SequenceLength(text, i);
    // C0 and C1 control characters are invisible or break lines; the page
    // shows their bytes instead.
    const bool control = c < 0x20 || c == 0x7F ||
                         (n == 2 && c == 0xC2 && static_cast<unsigned char>(text[i + 1]) < 0xA0);
    if (n == 0 || control) {
      for (size_t k = 0; k < std::max<size_t>(n, 1); ++k) {
        AppendByteEscape(out, static_cast<unsigned char>(text[i + k]));
      }
      i += std::max<size_t>(n, 1);
      continue;
    }
    if (n == 1) {
      switch (c) {
        case '&':
          *out += "&amp;";
          break;
        case '<':
          *out += "&lt;";
          break;
        case '>':
          *out += "&gt;";
          break;
        case '"':
          *out += "&quot;";
          break;
        case '\'':
          *out += "&#39;";
          break;
        default:
          *out += static_cast<char>(c);
      }
    } else {
      out->append(text.substr(i, n));
    }
    i += n;
  }
}

std::string HtmlText(std::string_view text) {
  std::string out;
  AppendHtmlText(&out, text);
  return out;
}

}  // namespace edgepipe
