//===- PtxOverride.cpp - Replacing a generated kernel with an engineer's PTX ===//

#include "compiler/PtxOverride.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MemoryBuffer.h"

namespace r1 {

namespace {

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

bool isIdentChar(char c) { return llvm::isAlnum(c) || c == '_' || c == '$' || c == '.'; }

/// Where `.entry NAME` starts (with a `.visible`/`.weak` before it), and
/// where the entry ends (after its body's closing brace).
struct EntrySpan {
  size_t begin = 0, paramsBegin = 0, paramsEnd = 0, end = 0;
};

llvm::Expected<EntrySpan> locateEntry(llvm::StringRef ptx, llvm::StringRef name) {
  for (size_t at = ptx.find(".entry"); at != llvm::StringRef::npos;
       at = ptx.find(".entry", at + 6)) {
    size_t p = at + 6;
    while (p < ptx.size() && llvm::isSpace(ptx[p]))
      ++p;
    size_t nameEnd = p;
    while (nameEnd < ptx.size() && isIdentChar(ptx[nameEnd]))
      ++nameEnd;
    if (ptx.slice(p, nameEnd) != name)
      continue;
    EntrySpan span;
    // Include a linkage directive on the same line.
    size_t lineStart = ptx.rfind('\n', at);
    lineStart = lineStart == llvm::StringRef::npos ? 0 : lineStart + 1;
    span.begin = ptx.slice(lineStart, at).trim().empty() ||
                         ptx.slice(lineStart, at).trim() == ".visible" ||
                         ptx.slice(lineStart, at).trim() == ".weak"
                     ? lineStart
                     : at;
    span.paramsBegin = ptx.find('(', nameEnd);
    size_t brace = ptx.find('{', nameEnd);
    if (span.paramsBegin != llvm::StringRef::npos && span.paramsBegin < brace) {
      span.paramsEnd = ptx.find(')', span.paramsBegin);
      if (span.paramsEnd == llvm::StringRef::npos || span.paramsEnd > brace)
        return fail("unbalanced parameter list of .entry " + name);
    } else {
      span.paramsBegin = span.paramsEnd = llvm::StringRef::npos; // no parameters
    }
    if (brace == llvm::StringRef::npos)
      return fail(".entry " + name + " has no body");
    int depth = 0;
    for (size_t i = brace; i < ptx.size(); ++i) {
      if (ptx[i] == '{')
        ++depth;
      else if (ptx[i] == '}' && --depth == 0) {
        span.end = i + 1;
        return span;
      }
    }
    return fail("unbalanced braces in .entry " + name);
  }
  return fail("no .entry " + name);
}

/// ".param .u64 k_param_0" -> ".param .u64"; array sizes are kept:
/// ".param .align 8 .b8 p[16]" -> ".param .align 8 .b8 [16]".
std::string paramType(llvm::StringRef param) {
  param = param.trim();
  size_t bracket = param.find('[');
  llvm::StringRef head = bracket == llvm::StringRef::npos ? param : param.take_front(bracket);
  llvm::StringRef array = bracket == llvm::StringRef::npos ? "" : param.drop_front(bracket);
  head = head.trim();
  size_t space = head.find_last_of(" \t");
  llvm::StringRef type = space == llvm::StringRef::npos ? head : head.take_front(space).trim();
  llvm::SmallVector<llvm::StringRef> words;
  type.split(words, ' ', -1, /*KeepEmpty=*/false);
  std::string out = llvm::join(words, " ");
  return array.empty() ? out : out + " " + array.str();
}

} // namespace

llvm::Expected<std::pair<std::string, std::vector<std::string>>>
findPtxEntry(llvm::StringRef ptx, llvm::StringRef name) {
  llvm::Expected<EntrySpan> span = locateEntry(ptx, name);
  if (!span)
    return span.takeError();
  std::vector<std::string> types;
  if (span->paramsBegin != llvm::StringRef::npos) {
    llvm::SmallVector<llvm::StringRef> params;
    ptx.slice(span->paramsBegin + 1, span->paramsEnd).split(params, ',');
    for (llvm::StringRef param : params)
      if (!param.trim().empty())
        types.push_back(paramType(param));
  }
  return std::make_pair(ptx.slice(span->begin, span->end).str(), types);
}

llvm::Expected<PtxOverride> readPtxOverride(llvm::StringRef spec) {
  auto [name, file] = spec.split('=');
  if (name.empty() || file.empty())
    return fail("--kernel-override '" + spec + "': expected NAME=FILE.ptx");
  auto text = llvm::MemoryBuffer::getFile(file);
  if (!text)
    return fail("--kernel-override: " + file + ": " + text.getError().message());
  llvm::StringRef ptx = (*text)->getBuffer();
  llvm::Expected<std::pair<std::string, std::vector<std::string>>> entry = findPtxEntry(ptx, name);
  if (!entry)
    return fail("--kernel-override: " + file + ": " + llvm::toString(entry.takeError()));
  PtxOverride o;
  o.kernel = name.str();
  o.file = file.str();
  o.entry = entry->first;
  o.paramTypes = entry->second;
  // Module-level declarations: statements outside any entry or function
  // body, except the module header the generated PTX has already.
  int depth = 0;
  std::string statement;
  size_t entryAt = ptx.find(o.entry);
  for (size_t i = 0; i < ptx.size(); ++i) {
    if (i == entryAt) {
      i += o.entry.size() - 1;
      statement.clear();
      continue;
    }
    char c = ptx[i];
    if (c == '/' && i + 1 < ptx.size() && ptx[i + 1] == '/') {
      i = ptx.find('\n', i);
      if (i == llvm::StringRef::npos)
        break;
      continue;
    }
    if (c == '{')
      ++depth;
    if (depth == 0)
      statement += c;
    if (c == '}' && --depth == 0)
      statement.clear(); // another function's body: not a declaration
    if (depth == 0 && c == ';') {
      llvm::StringRef s = llvm::StringRef(statement).trim();
      if (!s.starts_with(".version") && !s.starts_with(".target") &&
          !s.starts_with(".address_size") && !s.empty())
        o.declarations.push_back(s.str());
      statement.clear();
    }
  }
  return o;
}

llvm::Expected<std::string> applyPtxOverride(llvm::StringRef ptx, const PtxOverride &o) {
  llvm::Expected<std::pair<std::string, std::vector<std::string>>> generated =
      findPtxEntry(ptx, o.kernel);
  if (!generated)
    return fail("--kernel-override " + o.kernel + ": the generated PTX has " +
                llvm::toString(generated.takeError()));
  if (generated->second != o.paramTypes)
    return fail("--kernel-override " + o.kernel + ": " + o.file + " takes (" +
                llvm::join(o.paramTypes, ", ") + ") but the generated kernel takes (" +
                llvm::join(generated->second, ", ") + ")");
  llvm::Expected<EntrySpan> span = locateEntry(ptx, o.kernel);
  if (!span)
    return span.takeError();
  std::string out = ptx.take_front(span->begin).str();
  for (const std::string &declaration : o.declarations)
    if (!ptx.contains(declaration))
      out += declaration + "\n";
  out += "// --kernel-override " + o.kernel + " from " + o.file + "\n";
  out += o.entry;
  out += ptx.drop_front(span->end).str();
  return out;
}

} // namespace r1
