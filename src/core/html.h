// Text into HTML, safely: what every page edgepipe writes (statistics,
// evaluation reports) puts its strings through, so that no input — a feature
// name, a slice value, a file path — can inject markup or script.
//
// Valid UTF-8 is kept, except control characters (C0, DEL, C1), which are
// written as \xNN, as are invalid bytes; &, <, >, " and ' become entities, so
// the result is safe in element content and in quoted attribute values.
// Pure functions, thread-safe.
#ifndef EDGEPIPE_CORE_HTML_H_
#define EDGEPIPE_CORE_HTML_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace edgepipe {

// Appends `text` escaped, at most `max_chars` characters (an escape counts as
// one) and then an ellipsis.
void AppendHtmlText(std::string* out, std::string_view text, size_t max_chars = SIZE_MAX);

// `text` escaped.
std::string HtmlText(std::string_view text);

}  // namespace edgepipe

#endif  // EDGEPIPE_CORE_HTML_H_
