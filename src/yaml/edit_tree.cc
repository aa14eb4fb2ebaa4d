// Builds EditNode trees from libyaml events. libyaml reports where each node's content starts and
// ends; the positions an editor also needs (a sequence item's '-', a key's ':', a block scalar's
// last content line) are found by scanning the text next to those marks.
#include "yaml/edit_tree.h"

#include <string>
#include <utility>

#include "yaml/scalar.h"

namespace kftenant::yaml::detail {

namespace {

constexpr int kMaxDepth = 512;

class TreeBuilder {
 public:
  TreeBuilder(std::string_view text, std::string_view source)
      : text_(text), source_(source), scan_(text, source) {}

  Result<EditNode> run() {
    LibyamlEvent ev;
    if (auto r = scan_.next(ev); !r) return fail(r.error());  // stream start
    EditNode result;
    result.empty = true;
    result.begin = result.end = result.slot = text_.size();
    bool found = false;
    for (;;) {
      LibyamlEvent doc;
      if (auto r = scan_.next(doc); !r) return fail(r.error());
      if (doc.e.type == YAML_STREAM_END_EVENT) break;
      LibyamlEvent first;
      if (auto r = scan_.next(first); !r) return fail(r.error());
      EditNode root;
      root.parent = EditNode::Parent::kRoot;
      if (auto r = build(first, root, 0); !r) return fail(r.error());
      LibyamlEvent end;
      if (auto r = scan_.next(end); !r) return fail(r.error());  // document end
      if (root.empty) continue;
      if (found) return invalid("expected one YAML document, found more");
      result = std::move(root);
      found = true;
    }
    return result;
  }

 private:
  tl::unexpected<Error> invalid(std::string_view what) const {
    return make_error(ErrorCode::kStoredData, std::string(source_) + ": " + std::string(what));
  }

  void block_scalar(const yaml_event_t& e, EditNode& node) {
    const size_t region_end = scan_.byte(e.end_mark);
    // Header: '|' or '>' then an indentation indicator and/or a chomping indicator.
    size_t i = node.begin + 1;
    int indicator = 0;
    while (i < text_.size() &&
           (text_[i] == '+' || text_[i] == '-' || (text_[i] >= '1' && text_[i] <= '9'))) {
      if (text_[i] == '+' || text_[i] == '-') {
        node.chomping = text_[i];
      } else {
        indicator = text_[i] - '0';
      }
      ++i;
    }
    const size_t header_end = line_content_end(text_, node.begin);
    node.end = header_end;
    size_t full_end = header_end;
    size_t detected_indent = 0;
    bool have_content = false;
    for (size_t ls = after_line(text_, header_end); ls < region_end && ls < text_.size();) {
      const size_t ce = line_content_end(text_, ls);
      size_t spaces = 0;
      while (ls + spaces < ce && text_[ls + spaces] == ' ') ++spaces;
      if (ls + spaces < ce) {
        if (!have_content) detected_indent = spaces;
        have_content = true;
        node.end = ce;
      }
      full_end = ce;
      const size_t nl = text_.find('\n', ls);
      if (nl == std::string_view::npos) break;
      ls = nl + 1;
    }
    node.block_full_end = full_end;
    if (node.chomping == '+') node.end = full_end;  // trailing blank lines are content
    node.block_indent = detected_indent;
    indicator_ = indicator;
  }

  Result<void> build(LibyamlEvent& ev, EditNode& node, int depth) {
    if (depth > kMaxDepth) return invalid("document nested too deeply");
    const yaml_event_t& e = ev.e;
    node.begin = scan_.byte(e.start_mark);
    node.end = scan_.byte(e.end_mark);
    node.special = is_special(e);
    switch (e.type) {
      case YAML_ALIAS_EVENT:
        node.kind = EditNode::Kind::kAlias;
        return ok();
      case YAML_SCALAR_EVENT: {
        const auto& s = e.data.scalar;
        node.kind = EditNode::Kind::kScalar;
        node.style = s.style;
        if (s.style == YAML_PLAIN_SCALAR_STYLE && s.length == 0 && !node.special) {
          node.empty = true;
        } else if (is_block_scalar(e)) {
          indicator_ = 0;
          block_scalar(e, node);
          block_indicator_ = indicator_;
        }
        return ok();
      }
      case YAML_SEQUENCE_START_EVENT:
        node.kind = EditNode::Kind::kSequence;
        node.flow = e.data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
        return sequence(node, depth);
      case YAML_MAPPING_START_EVENT:
        node.kind = EditNode::Kind::kMapping;
        node.flow = e.data.mapping_start.style == YAML_FLOW_MAPPING_STYLE;
        return mapping(node, depth);
      default:
        return invalid("unexpected YAML event");
    }
  }

  // After building a child: resolves what depends on its parent's position.
  void settle(EditNode& child, size_t parent_column) {
    if (child.empty) child.begin = child.end = child.slot;
    if (child.kind == EditNode::Kind::kScalar &&
        (child.style == YAML_LITERAL_SCALAR_STYLE || child.style == YAML_FOLDED_SCALAR_STYLE) &&
        block_indicator_ > 0) {
      child.block_indent = parent_column + static_cast<size_t>(block_indicator_);
    }
    block_indicator_ = 0;
  }

  Result<void> sequence(EditNode& node, int depth) {
    size_t cursor = node.begin;
    for (;;) {
      LibyamlEvent item;
      if (auto r = scan_.next(item); !r) return fail(r.error());
      if (item.e.type == YAML_SEQUENCE_END_EVENT) {
        if (node.flow) node.end = scan_.byte(item.e.end_mark);
        break;
      }
      EditNode child;
      child.parent = EditNode::Parent::kSequence;
      if (!node.flow) {
        const size_t dash = next_dash(text_, cursor);
        if (dash == std::string_view::npos) {
          node.opaque = true;
        } else {
          child.lead = dash;
          child.slot = dash + 1;
          if (node.children.empty()) node.column = column_of(text_, dash);
        }
      }
      if (auto r = build(item, child, depth + 1); !r) return r;
      settle(child, node.column);
      if (!node.flow) {
        cursor = child.end;
        node.end = child.end;
      }
      node.children.push_back(std::move(child));
    }
    return ok();
  }

  Result<void> mapping(EditNode& node, int depth) {
    for (;;) {
      LibyamlEvent key;
      if (auto r = scan_.next(key); !r) return fail(r.error());
      if (key.e.type == YAML_MAPPING_END_EVENT) {
        if (node.flow) node.end = scan_.byte(key.e.end_mark);
        break;
      }
      EditNode child;
      child.parent = EditNode::Parent::kMapping;
      child.lead = scan_.byte(key.e.start_mark);
      if (key.e.type == YAML_SCALAR_EVENT && !is_special(key.e)) {
        const std::string_view k = scalar_value(key.e);
        if (key.e.data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
          if (k == "<<") node.opaque = true;  // merge key: the mapping's value comes from elsewhere
          child.key = key_string(resolve_plain(k));
        } else {
          child.key = std::string(k);
        }
        if (!node.flow) {
          const size_t colon = colon_after(text_, scan_.byte(key.e.end_mark));
          if (colon == std::string_view::npos || text_[child.lead] == '?') {
            node.opaque = true;
          } else {
            child.slot = colon;
          }
        }
      } else {
        node.opaque = true;
        EditNode ignored;
        if (auto r = build(key, ignored, depth + 1); !r) return r;
      }
      if (node.children.empty() && !node.flow) node.column = column_of(text_, child.lead);
      LibyamlEvent value;
      if (auto r = scan_.next(value); !r) return fail(r.error());
      if (auto r = build(value, child, depth + 1); !r) return r;
      settle(child, node.column);
      if (!node.flow) node.end = child.end;
      node.children.push_back(std::move(child));
    }
    return ok();
  }

  std::string_view text_;
  std::string_view source_;
  MarkScanner scan_;
  int indicator_ = 0;
  int block_indicator_ = 0;
};

}  // namespace

Result<EditNode> build_edit_tree(std::string_view text, std::string_view source) {
  return TreeBuilder(text, source).run();
}

}  // namespace kftenant::yaml::detail
