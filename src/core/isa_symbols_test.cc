// The per-instruction-set kernel objects of one library (src/core/isa_dispatch.h;
// registered once per library by edgepipe_isa_kernels: lite_isa_symbols_test,
// nn_isa_symbols_test) are safe to link into one binary that runs on any x86-64:
//  - every global or weak symbol an object defines names the object's own
//    level namespace (EDGEPIPE_ISA_NAMESPACE::<level>::, e.g.
//    edgepipe::lite::optimized::avx2::), so the linker
//    never merges an inline function or template compiled for AVX-512 with
//    the copy generic or AVX2 code calls (it keeps one copy of each weak
//    symbol, whichever object comes first);
//  - the generic objects use no VEX/EVEX instruction, the AVX2 ones no
//    AVX-512 register.
// It reads the objects CMake lists in <target>_objects.txt with nm and objdump
// (binutils), so adding a header with an out-of-line inline function to a
// *_kernels.inc, or a wrong flag in edgepipe_isa_kernels, fails here.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace edgepipe {
namespace {

std::vector<std::string> Words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

// The level of an object named .../<family>_<level>.cc.o (longest match,
// so avx2_vnni is not taken for avx2); empty when none matches.
std::string LevelOf(const std::string& object, const std::vector<std::string>& levels) {
  std::string best;
  for (const std::string& level : levels) {
    const std::string suffix = "_" + level + ".cc.o";
    if (object.size() >= suffix.size() &&
        object.compare(object.size() - suffix.size(), suffix.size(), suffix) == 0 &&
        level.size() > best.size()) {
      best = level;
    }
  }
  return best;
}

// One line of `nm -C --defined-only`: "<address> <type> <name>". Returns
// the reason the symbol is unsafe in an object of `level`, or "" when it is
// local (lower-case type other than u/v/w: the linker never merges it) or
// names the level's namespace `ns`::`level`::.
std::string UnsafeSymbol(const std::string& line, const std::string& ns, const std::string& level) {
  std::istringstream in(line);
  std::string address, type;
  if (!(in >> address >> type) || type.size() != 1) return "";
  std::string name;
  std::getline(in, name);
  if (!name.empty() && name[0] == ' ') name.erase(0, 1);
  const char t = type[0];
  const bool global_or_weak = (t >= 'A' && t <= 'Z') || t == 'u' || t == 'v' || t == 'w';
  if (!global_or_weak) return "";
  // The exception tables' pointer to the C++ personality routine: data, the
  // same in every object.
  if (name.rfind("DW.ref.", 0) == 0) return "";
  if (name.find(ns + "::" + level + "::") != std::string::npos) return "";
  return std::string(t == 'W' || t == 'V' || t == 'w' || t == 'v' || t == 'u'
                         ? "weak (mergeable) symbol"
                         : "global symbol") +
         " outside namespace " + ns + "::" + level + ": " + name;
}

// The first instruction in `objdump -d` output a `level` object must not
// contain, or "": generic objects no VEX/EVEX instruction (mnemonics
// starting with 'v') and no ymm/zmm register; AVX2 objects no zmm, no
// opmask and no ymm16-31.
std::string ForbiddenInstruction(const std::string& disassembly, const std::string& level) {
  static const std::regex kGeneric(R"(\t(v[a-z0-9]+)\s|%[yz]mm)");
  static const std::regex kAvx2(R"(%zmm|%k[0-7]\b|%[xy]mm(1[6-9]|2[0-9]|3[01])\b)");
  const std::regex* forbidden = nullptr;
  if (level == "generic") forbidden = &kGeneric;
  if (level == "avx2" || level == "avx2_vnni") forbidden = &kAvx2;
  if (forbidden == nullptr) return "";
  std::istringstream in(disassembly);
  for (std::string line; std::getline(in, line);) {
    if (std::regex_search(line, *forbidden)) return line;
  }
  return "";
}

std::string RunCommand(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) return "";
  std::string out;
  std::array<char, 4096> buf;
  for (size_t n; (n = fread(buf.data(), 1, buf.size(), pipe.get())) > 0;) out.append(buf.data(), n);
  return out;
}

std::vector<std::string> Objects() {
  std::ifstream in(EDGEPIPE_ISA_OBJECTS_FILE);
  std::vector<std::string> objects;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) objects.push_back(line);
  }
  return objects;
}

TEST(IsaSymbolsTest, ClassifiesSymbols) {
  const std::string ns = "edgepipe::lite::optimized";
  EXPECT_EQ(
      UnsafeSymbol("0000000000000000 R edgepipe::lite::optimized::avx2::kDepthwise", ns, "avx2"),
      "");
  EXPECT_EQ(UnsafeSymbol("0000000000000040 t edgepipe::lite::optimized::avx2::(anonymous "
                         "namespace)::Clamp(float, float, float)",
                         ns, "avx2"),
            "");
  EXPECT_EQ(
      UnsafeSymbol("0000000000000000 t MultiplyByQuantizedMultiplier(int, int, int)", ns, "avx2"),
      "");
  // An inline function of a shared header emitted out of line: mergeable.
  EXPECT_NE(UnsafeSymbol("0000000000000000 W edgepipe::lite::MultiplyByQuantizedMultiplier(int, "
                         "int, int)",
                         ns, "avx512_vnni"),
            "");
  EXPECT_NE(UnsafeSymbol("0000000000000000 W float const& std::max<float>(float const&, float "
                         "const&)",
                         ns, "avx2"),
            "");
  // Another level's namespace is not this one's (avx2 is not avx2_vnni).
  EXPECT_NE(
      UnsafeSymbol("0000000000000000 R edgepipe::lite::optimized::avx2_vnni::kPooling", ns, "avx2"),
      "");
  EXPECT_NE(UnsafeSymbol("0000000000000000 T edgepipe::lite::optimized::Foo()", ns, "generic"), "");
  // Another library's level namespace is not this library's.
  EXPECT_NE(UnsafeSymbol("0000000000000000 R edgepipe::nn::kernels::avx2::kPooling", ns, "avx2"),
            "");
  EXPECT_EQ(UnsafeSymbol("0000000000000000 R edgepipe::nn::kernels::avx2::kPooling",
                         "edgepipe::nn::kernels", "avx2"),
            "");
  EXPECT_NE(UnsafeSymbol("0000000000000000 W std::_Function_base::~_Function_base()", ns, "avx2"),
            "");
  EXPECT_EQ(UnsafeSymbol("0000000000000000 V DW.ref.__gxx_personality_v0", ns, "avx2"), "");
  EXPECT_NE(UnsafeSymbol("0000000000000000 u guard variable for edgepipe::Foo()::x", ns, "generic"),
            "");
  EXPECT_EQ(LevelOf("/b/isa/depthwise_avx2_vnni.cc.o", {"generic", "avx2", "avx2_vnni"}),
            "avx2_vnni");
  EXPECT_EQ(LevelOf("/b/isa/depthwise_avx2.cc.o", {"generic", "avx2", "avx2_vnni"}), "avx2");
  EXPECT_NE(ForbiddenInstruction("  1f:\tvmovups %ymm0,(%rdi)\n", "generic"), "");
  EXPECT_NE(ForbiddenInstruction("  1f:\tvaddss %xmm1,%xmm0,%xmm0\n", "generic"), "");
  EXPECT_EQ(ForbiddenInstruction("  1f:\tmovups %xmm0,(%rdi)\n", "generic"), "");
  EXPECT_NE(ForbiddenInstruction("  1f:\tvpaddd %zmm1,%zmm0,%zmm0\n", "avx2"), "");
  EXPECT_NE(ForbiddenInstruction("  1f:\tvmovdqu32 %ymm17,(%rdi)\n", "avx2_vnni"), "");
  EXPECT_EQ(ForbiddenInstruction("  1f:\tvpdpwssd %ymm1,%ymm2,%ymm0\n", "avx2_vnni"), "");
  EXPECT_EQ(ForbiddenInstruction("  1f:\tvpdpwssd %zmm1,%zmm2,%zmm0\n", "avx512_vnni"), "");
}

TEST(IsaSymbolsTest, EveryLevelObjectDefinesOnlyItsOwnNamespace) {
  const std::vector<std::string> levels = Words(EDGEPIPE_ISAS);
  const std::vector<std::string> families = Words(EDGEPIPE_ISA_FAMILIES);
  const std::vector<std::string> objects = Objects();
  ASSERT_EQ(objects.size(), levels.size() * families.size())
      << "expected one object per family and level in " << EDGEPIPE_ISA_OBJECTS_FILE;
  for (const std::string& object : objects) {
    const std::string level = LevelOf(object, levels);
    ASSERT_NE(level, "") << object << " is not named <family>_<level>.cc.o";
    const std::string symbols =
        RunCommand(std::string(EDGEPIPE_NM) + " -C --defined-only '" + object + "'");
    int own_globals = 0;
    std::istringstream in(symbols);
    for (std::string line; std::getline(in, line);) {
      EXPECT_EQ(UnsafeSymbol(line, EDGEPIPE_ISA_NAMESPACE, level), "") << "in " << object;
      const std::vector<std::string> w = Words(line);
      if (w.size() >= 3 && (w[1] == "R" || w[1] == "D") &&
          UnsafeSymbol(line, EDGEPIPE_ISA_NAMESPACE, level).empty()) {
        ++own_globals;
      }
    }
    // Its kernel table at least: nm ran and read the object.
    EXPECT_GE(own_globals, 1) << object << ": no table in " << EDGEPIPE_ISA_NAMESPACE
                              << "::" << level << "::\n"
                              << symbols;
  }
}

TEST(IsaSymbolsTest, NarrowLevelsUseOnlyTheirRegisters) {
  const std::vector<std::string> levels = Words(EDGEPIPE_ISAS);
  for (const std::string& object : Objects()) {
    const std::string level = LevelOf(object, levels);
    const std::string code =
        RunCommand(std::string(EDGEPIPE_OBJDUMP) + " -d --no-show-raw-insn '" + object + "'");
    // objdump read it; a level without a kernel (conv_direct's generic) holds
    // only its table, so no code section.
    ASSERT_NE(code.find("file format elf64-x86-64"), std::string::npos) << object << ":\n" << code;
    EXPECT_EQ(ForbiddenInstruction(code, level), "") << object << " (" << level << ")";
    if (level == "avx2" || level == "avx512_vnni") {
      EXPECT_NE(code.find("Disassembly of section"), std::string::npos) << object << ":\n" << code;
    }
  }
}

}  // namespace
}  // namespace edgepipe
