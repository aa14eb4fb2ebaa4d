// JSON -> block-style YAML with libyaml's emitter. We choose each string's style so that it reads
// back as the same string: plain when that is unambiguous, a literal block for multi-line text,
// otherwise double-quoted (libyaml escapes what needs escaping).
#include <yaml.h>

#include <string>

#include "common/utf8.h"
#include "kftenant/yaml.h"
#include "yaml/scalar.h"

namespace kftenant::yaml {
namespace {

using nlohmann::json;

int write_handler(void* data, unsigned char* buffer, size_t size) {
  static_cast<std::string*>(data)->append(reinterpret_cast<const char*>(buffer), size);
  return 1;
}

// Replaces invalid UTF-8 with U+FFFD: YAML text must be valid Unicode.
std::string sanitize_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = 0;
    if (const size_t len = utf8::decode(s, i, cp); len > 0) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += "\xef\xbf\xbd";
      ++i;
    }
  }
  return out;
}

class Emitter {
 public:
  Emitter() {
    yaml_emitter_initialize(&e_);
    yaml_emitter_set_output(&e_, write_handler, &out_);
    yaml_emitter_set_unicode(&e_, 1);
    yaml_emitter_set_width(&e_, -1);  // never fold long lines
    yaml_emitter_set_indent(&e_, 2);
  }
  ~Emitter() { yaml_emitter_delete(&e_); }
  Emitter(const Emitter&) = delete;
  Emitter& operator=(const Emitter&) = delete;

  std::string run(const json& value) {
    yaml_event_t ev;
    yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
    emit(ev);
    yaml_document_start_event_initialize(&ev, nullptr, nullptr, nullptr, 1);
    emit(ev);
    node(value);
    yaml_document_end_event_initialize(&ev, 1);
    emit(ev);
    yaml_stream_end_event_initialize(&ev);
    emit(ev);
    yaml_emitter_flush(&e_);
    return failed_ ? std::string() : std::move(out_);
  }

 private:
  void emit(yaml_event_t& ev) {
    if (failed_) {
      yaml_event_delete(&ev);
      return;
    }
    if (!yaml_emitter_emit(&e_, &ev)) failed_ = true;  // libyaml frees the event either way
  }

  void scalar(std::string_view text, yaml_scalar_style_t style, bool plain_implicit) {
    yaml_event_t ev;
    yaml_scalar_event_initialize(
        &ev, nullptr, nullptr, reinterpret_cast<yaml_char_t*>(const_cast<char*>(text.data())),
        static_cast<int>(text.size()), plain_implicit, !plain_implicit, style);
    emit(ev);
  }

  void string(const std::string& raw) {
    std::string s = sanitize_utf8(raw);
    if (detail::plain_safe(s)) {
      scalar(s, YAML_PLAIN_SCALAR_STYLE, true);
    } else if (s.find('\n') != std::string::npos && !detail::has_unicode_specials(s)) {
      // libyaml falls back to double quotes when a literal block cannot hold the text exactly.
      scalar(s, YAML_LITERAL_SCALAR_STYLE, false);
    } else {
      scalar(s, YAML_DOUBLE_QUOTED_SCALAR_STYLE, false);
    }
  }

  void node(const json& v) {
    switch (v.type()) {
      case json::value_t::object: {
        yaml_event_t ev;
        yaml_mapping_start_event_initialize(&ev, nullptr, nullptr, 1, YAML_BLOCK_MAPPING_STYLE);
        emit(ev);
        for (auto it = v.begin(); it != v.end(); ++it) {
          string(it.key());
          node(it.value());
        }
        yaml_mapping_end_event_initialize(&ev);
        emit(ev);
        break;
      }
      case json::value_t::array: {
        yaml_event_t ev;
        yaml_sequence_start_event_initialize(&ev, nullptr, nullptr, 1, YAML_BLOCK_SEQUENCE_STYLE);
        emit(ev);
        for (const auto& item : v) node(item);
        yaml_sequence_end_event_initialize(&ev);
        emit(ev);
        break;
      }
      case json::value_t::string:
        string(v.get_ref<const std::string&>());
        break;
      case json::value_t::boolean:
        scalar(v.get<bool>() ? "true" : "false", YAML_PLAIN_SCALAR_STYLE, true);
        break;
      case json::value_t::number_integer:
        scalar(std::to_string(v.get<int64_t>()), YAML_PLAIN_SCALAR_STYLE, true);
        break;
      case json::value_t::number_unsigned:
        scalar(std::to_string(v.get<uint64_t>()), YAML_PLAIN_SCALAR_STYLE, true);
        break;
      case json::value_t::number_float:
        scalar(detail::format_double(v.get<double>()), YAML_PLAIN_SCALAR_STYLE, true);
        break;
      default:  // null, discarded, binary
        scalar("null", YAML_PLAIN_SCALAR_STYLE, true);
        break;
    }
  }

  yaml_emitter_t e_{};
  std::string out_;
  bool failed_ = false;
};

}  // namespace

std::string emit(const nlohmann::json& value) {
  return Emitter().run(value);
}

}  // namespace kftenant::yaml
